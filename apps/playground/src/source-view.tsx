/**
 * The scenario's text as a listing — the current step's line marked, with
 * its outcome beside it, each step already run marked ✓ / ✗ / •, and each
 * loader error under the line it names — and the editor that replaces it.
 */
import { Component, type JSX } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { outcomeText } from './describe.js';
import { errorText, type Session } from './session.js';

export function SourceView(props: { session: Session; step: number; onGo: (step: number) => void }): JSX.Element {
  const { session, step, onGo } = props;
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
        return (
          <Line
            key={n}
            session={session}
            n={n}
            text={text}
            step={s}
            mark={current ? '▶' : record === undefined ? '' : record.check === undefined ? '•' : record.check.ok ? '✓' : '✗'}
            current={current}
            failed={record?.check?.ok === false}
            outcome={current && record !== undefined ? outcomeText(record) : undefined}
            errors={errorsAt.get(n)}
            onGo={onGo}
          />
        );
      })}
    </ol>
  );
}

interface LineProps {
  /** A new session draws every line again; within one, a line is drawn again only when what it shows changed. */
  session: Session;
  n: number;
  text: string;
  /** The step the line starts, 1-based. */
  step: number | undefined;
  mark: string;
  current: boolean;
  failed: boolean;
  outcome: string | undefined;
  errors: readonly string[] | undefined;
  onGo: (step: number) => void;
}

/** One line of the listing, and the loader's errors about it under it. */
class Line extends Component<LineProps> {
  override shouldComponentUpdate(next: LineProps): boolean {
    const p = this.props;
    return next.session !== p.session || next.mark !== p.mark || next.current !== p.current || next.failed !== p.failed || next.outcome !== p.outcome;
  }

  override render(): JSX.Element {
    const { session, n, text, step, mark, current, failed, outcome, errors, onGo } = this.props;
    const cls = ['line', step !== undefined && 'steppable', current && 'current', errors && 'has-error', failed && 'failed'].filter(Boolean).join(' ');
    return (
      <>
        <li
          class={cls}
          data-line={n}
          data-step={step}
          aria-current={current ? 'step' : undefined}
          // A click runs to the step (the keyboard has Run to, and the step keys).
          onClick={step === undefined || session.timeline === null ? undefined : () => onGo(step)}
        >
          <span class="ln" aria-hidden="true">
            {n}
          </span>
          <span class="mark">{mark}</span>
          <code>{text === '' ? ' ' : text}</code>
          {outcome !== undefined && <span class="outcome">{outcome}</span>}
        </li>
        {errors?.map((msg, k) => (
          <li key={k} class="error-row" data-error-line={n}>
            <span class="ln" aria-hidden="true" />
            <span class="mark">✗</span>
            <span>{msg}</span>
          </li>
        ))}
      </>
    );
  }
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
