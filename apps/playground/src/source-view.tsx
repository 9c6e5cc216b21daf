/**
 * The scenario's text as a listing — the current step's line marked, with
 * its outcome beside it, each step already run marked ✓ / ✗ / •, and each
 * loader error under the line it names — and the editor that replaces it.
 */
import type { JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { outcomeText } from './describe.js';
import { errorText, type Session } from './session.js';

export function SourceView(props: { session: Session; step: number }): JSX.Element {
  const { session, step } = props;
  const list = useRef<HTMLOListElement>(null);
  const lines = session.text.replace(/\n$/, '').split('\n');
  // The step each line starts, 1-based.
  const stepAt = new Map<number, number>();
  session.scenario?.steps.forEach((s, i) => {
    if (s.pos !== undefined && !stepAt.has(s.pos.line)) stepAt.set(s.pos.line, i + 1);
  });
  const errorsAt = new Map<number, string[]>();
  for (const e of session.errors) errorsAt.set(e.line, [...(errorsAt.get(e.line) ?? []), errorText(e)]);
  const records = session.timeline?.records ?? [];

  // Keep the current line in sight inside the listing (the page itself does not jump).
  useEffect(() => {
    const box = list.current;
    const cur = box?.querySelector<HTMLElement>('.current, .has-error');
    if (box === null || box === undefined || cur === null || cur === undefined) return;
    // The listing is the lines' offset parent (position: relative).
    const top = cur.offsetTop;
    if (top < box.scrollTop || top + cur.offsetHeight > box.scrollTop + box.clientHeight * 0.8) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }, [session, step]);

  return (
    <ol class="listing" ref={list} aria-label={`${session.file}, the scenario`}>
      {lines.map((text, i) => {
        const n = i + 1;
        const s = stepAt.get(n);
        const current = s !== undefined && s === step;
        const record = s !== undefined && s <= step ? records[s - 1] : undefined;
        const mark = current ? '▶' : record === undefined ? '' : record.check === undefined ? '•' : record.check.ok ? '✓' : '✗';
        const errors = errorsAt.get(n);
        const cls = ['line', current && 'current', errors && 'has-error', record?.check?.ok === false && 'failed'].filter(Boolean).join(' ');
        return (
          <>
            <li key={n} class={cls} data-line={n} data-step={s} aria-current={current ? 'step' : undefined}>
              <span class="ln" aria-hidden="true">
                {n}
              </span>
              <span class="mark">{mark}</span>
              <code>{text === '' ? ' ' : text}</code>
              {current && record !== undefined && <span class="outcome">{outcomeText(record)}</span>}
            </li>
            {errors?.map((msg, k) => (
              <li key={`${n}e${k}`} class="error-row" data-error-line={n}>
                <span class="ln" aria-hidden="true" />
                <span class="mark">✗</span>
                <span>{msg}</span>
              </li>
            ))}
          </>
        );
      })}
    </ol>
  );
}

export function Editor(props: { text: string; onInput: (t: string) => void; onApply: () => void; onCancel: () => void }): JSX.Element {
  const area = useRef<HTMLTextAreaElement>(null);
  useEffect(() => area.current?.focus(), []);
  return (
    <div class="editor">
      <label for="editor">Scenario (YAML or JSON; the format is in the @vgic/cli README)</label>
      <textarea
        id="editor"
        ref={area}
        spellcheck={false}
        value={props.text}
        rows={24}
        onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
            e.preventDefault();
            props.onApply();
          } else if (e.key === 'Escape') {
            e.preventDefault();
            props.onCancel();
          }
        }}
      />
      <div class="editor-actions">
        <button type="button" id="apply" onClick={props.onApply}>
          ✓ Load it (Ctrl+Enter)
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel (Esc)
        </button>
      </div>
    </div>
  );
}
