/**
 * The page: the example picker and editor, the step controls, the source
 * with the current step, the machine's state and the step's events. State
 * is the session (text, load result, timeline) and the step shown; both
 * travel in the page's URL.
 */
import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { insertStep, type StepFields } from './add-step.js';
import { ByHand } from './by-hand.js';
import { EXAMPLES, exampleById, exampleOfText, firstExampleFor } from './examples.js';
import { openingComment } from './intro.js';
import { readScenarioFile } from './open-file.js';
import { MachineView } from './machine-view.js';
import { errorText, openSession, type Session } from './session.js';
import { decodeShared, encodeShared } from './share.js';
import { Editor, SourceView } from './source-view.js';
import { StepView } from './step-view.js';

const FIRST = EXAMPLES[0]!;

/** The longest link the page writes: Chromium opens URLs up to 2 MB, and other browsers less. */
const MAX_LINK = 1_000_000;

/** How long the step must stay put before the URL follows it. */
const URL_DELAY_MS = 150;

/** The step keys: each gives the step to go to from the one shown. */
const KEYS: Readonly<Record<string, (shown: number, last: number) => number>> = {
  ArrowRight: (s) => s + 1,
  j: (s) => s + 1,
  ArrowLeft: (s) => s - 1,
  k: (s) => s - 1,
  Home: () => 0,
  End: (_, last) => last,
};

function exampleSession(id: string): Session | null {
  const e = exampleById(id);
  return e === undefined ? null : openSession(e.text, `${e.id}.yaml`);
}

/** The GIC a text names in its `gic:` key, for a file that did not load. */
function gicOfText(text: string): string {
  return /^gic:\s*(v\d)\b/m.exec(text)?.[1] ?? '';
}

function download(text: string, file: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = file.replace(/\.(json|yml)$/, '') + (file.endsWith('.yaml') ? '' : '.yaml');
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function App(): JSX.Element {
  const [session, setSession] = useState<Session>(() => openSession(FIRST.text, `${FIRST.id}.yaml`));
  const [step, setStep] = useState(0);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState('');
  const [note, setNote] = useState('');
  const [ready, setReady] = useState(false);
  const written = useRef('');
  const writtenText = useRef<string | null>(null);
  const last = session.timeline?.length ?? 0;
  const shown = Math.min(step, last);

  const open = (s: Session, at = 0): void => {
    setSession(s);
    setStep(Math.max(0, Math.min(at, s.timeline?.length ?? 0)));
    setEditing(false);
    setNote('');
  };

  // A link opens what it carries; so does one pasted into the address bar later.
  useEffect(() => {
    const fromHash = async (): Promise<void> => {
      const shared = await decodeShared(location.hash);
      if (shared !== null) {
        const s = shared.example !== undefined ? exampleSession(shared.example) : openSession(shared.text ?? '', 'shared.yaml');
        if (s !== null) {
          open(s, shared.step);
          // What the URL says already: writing it again must not make another history entry.
          written.current = location.hash;
          writtenText.current = s.text;
        }
        else setNote(`This link names an example the page does not have (${shared.example}).`);
      } else if (location.hash.length > 1) setNote('This link carries no scenario the page can read; here is the first example.');
      setReady(true);
    };
    void fromHash();
    // The page's own replaceState fires no hashchange; a link pasted or followed does.
    const onHash = (): void => {
      if (location.hash !== written.current) void fromHash();
    };
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // The URL says what the page shows, once stepping pauses (not a deflate per key press). Another
  // scenario is a new history entry, so the browser's Back returns to the one before; a step is not.
  useEffect(() => {
    if (!ready) return;
    let current = true;
    const timer = setTimeout(() => {
      const example = exampleOfText(session.text);
      void encodeShared(example !== undefined ? { example: example.id, step: shown } : { text: session.text, step: shown }).then((hash) => {
        if (!current) return;
        const another = writtenText.current !== null && writtenText.current !== session.text;
        written.current = hash;
        writtenText.current = session.text;
        if (hash.length > MAX_LINK) {
          // No link rather than one that shows something else.
          history.replaceState(null, '', location.pathname + location.search);
          written.current = '';
          setNote('This scenario is too long to travel in a link: download it to share it.');
          return;
        }
        if (another) history.pushState(null, '', hash);
        else history.replaceState(null, '', hash);
      });
    }, URL_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [session, shown, ready]);

  // From the step as last set, not as this render saw it: two key presses before a render are two steps.
  const move = (to: (from: number) => number): void => setStep((s) => Math.max(0, Math.min(last, to(Math.min(s, last)))));
  const go = (n: number): void => move(() => n);

  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (editing || e.altKey || e.ctrlKey || e.metaKey) return;
      if (t !== null && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT')) return;
      const to = KEYS[e.key];
      if (to === undefined) return;
      e.preventDefault();
      move((s) => to(s, last));
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  });

  const apply = (): void => {
    const s = openSession(draft, session.file);
    open(s, shown);
  };

  /** Add a step done by hand after the one shown and move to it; or say why not. */
  const addStep = (fields: StepFields): string | null => {
    if (session.scenario === null) return 'The file does not load: fix it first.';
    const r = insertStep(session.text, session.scenario, shown, fields);
    if ('error' in r) return r.error;
    const s = openSession(r.text, session.file);
    // The loader's own words about the step just written.
    if (s.errors.length > 0) return s.errors.map((e) => e.message).join('; ');
    open(s, shown + 1);
    return null;
  };

  const copyLink = (): void => {
    const shown = (): void => setNote(`The link to share: ${location.href}`);
    // A page not served over https (or from localhost) has no clipboard.
    if (navigator.clipboard === undefined) shown();
    else navigator.clipboard.writeText(location.href).then(() => setNote('The link to this scenario at this step is copied.'), shown);
  };

  const gic = session.scenario?.gic ?? gicOfText(session.text);
  const example = exampleOfText(session.text);
  const intro = example?.intro ?? openingComment(session.text);
  const records = session.timeline?.records ?? [];
  let passed = 0;
  let failed = 0;
  for (let i = 0; i < shown; i++) {
    const c = records[i]!.check;
    if (c !== undefined) c.ok ? passed++ : failed++;
  }

  return (
    <div class="app" data-ready={ready ? 'true' : 'false'}>
      <header class="top">
        <div class="brand">
          <h1>vgic playground</h1>
          <p>A virtual ARM GIC, emulated as Linux KVM does it, running in this page.</p>
        </div>
        <div class="pickers">
          <fieldset class="gic-choice">
            <legend>GIC</legend>
            {['v2', 'v3'].map((g) => (
              <label key={g}>
                <input
                  type="radio"
                  name="gic"
                  value={g}
                  checked={gic === g}
                  onChange={() => {
                    const e = firstExampleFor(g);
                    if (e !== undefined && gic !== g) open(openSession(e.text, `${e.id}.yaml`));
                  }}
                />
                GIC{g}
              </label>
            ))}
          </fieldset>
          <label class="picker">
            Example{' '}
            <select
              id="example"
              value={example?.id ?? ''}
              onChange={(e) => {
                const s = exampleSession((e.target as HTMLSelectElement).value);
                if (s !== null) open(s);
              }}
            >
              {example === undefined && <option value="">(your scenario)</option>}
              {EXAMPLES.map((x) => (
                <option key={x.id} value={x.id}>
                  {x.id.slice(0, 2)} {x.intro.title} (GIC{x.gic})
                </option>
              ))}
            </select>
          </label>
          <div class="file-actions">
            <button type="button" onClick={() => (setDraft(session.text), setEditing(true))} disabled={editing}>
              ✎ Edit
            </button>
            <label class="open-file">
              ↑ Open a file
              <input
                type="file"
                id="open-file"
                accept=".yaml,.yml,.json,.gz"
                onChange={(e) => {
                  const input = e.target as HTMLInputElement;
                  const file = input.files?.[0];
                  if (file === undefined) return;
                  void readScenarioFile(file).then((r) => {
                    input.value = '';
                    if ('error' in r) setNote(r.error);
                    else open(openSession(r.text, r.name));
                  });
                }}
              />
            </label>
            <button type="button" onClick={() => download(session.text, session.file)}>
              ↓ Download .yaml
            </button>
            <button type="button" onClick={copyLink}>
              Copy link
            </button>
          </div>
        </div>
      </header>

      {(intro.title !== '' || intro.paragraphs.length > 0) && (
        <section class="intro" aria-label="What it teaches">
          <h2>{intro.title || session.file}</h2>
          {intro.paragraphs.map((p, i) => (
            <p key={i}>{p}</p>
          ))}
        </section>
      )}

      <div class="note" role="status" aria-live="polite">
        {note}
      </div>

      <main class="main">
        <div class="left">
          <div class="controls" role="toolbar" aria-label="Step through the scenario">
            <button type="button" id="reset" onClick={() => go(0)} disabled={shown === 0} title="Reset (Home)">
              « Reset
            </button>
            <button type="button" id="back" onClick={() => move((s) => s - 1)} disabled={shown === 0} title="Back one step (←)">
              ‹ Back
            </button>
            <button type="button" id="step" onClick={() => move((s) => s + 1)} disabled={shown >= last} title="Step (→)">
              Step ›
            </button>
            <RunTo last={last} onRun={go} />
            <button type="button" id="run-all" onClick={() => go(last)} disabled={shown >= last} title="Run all (End)">
              Run all »
            </button>
            <p class="status" id="status" aria-live="polite">
              {session.timeline === null ? (
                'The file does not load.'
              ) : (
                <>
                  Step <b id="step-number">{shown}</b> of {last} · checks {passed} ✓ {failed} ✗
                </>
              )}
            </p>
          </div>
          {session.timeline?.truncated && (
            <p class="warning">
              This scenario has {session.scenario!.steps.length} steps; the page keeps the first {last}.
            </p>
          )}
          {session.errors.length > 0 && (
            <div class="errors" role="alert">
              <p>
                The file does not load: {session.errors.length === 1 ? 'one error' : `${session.errors.length} errors`}, each shown under its
                line.
              </p>
              <ul>
                {session.errors.map((e, i) => (
                  <li key={i}>{errorText(e)}</li>
                ))}
              </ul>
            </div>
          )}
          {editing ? (
            <Editor text={draft} onInput={setDraft} onApply={apply} onCancel={() => setEditing(false)} />
          ) : (
            <SourceView session={session} step={shown} onGo={go} />
          )}
          <ByHand session={session} step={shown} onStep={addStep} />
        </div>
        <div class="right">
          <StepView session={session} step={shown} />
          {session.timeline !== null && <MachineView timeline={session.timeline} step={shown} />}
        </div>
      </main>
      <footer class="help">
        Keys: → or j step, ← or k back, Home reset, End run all; in the editor Ctrl+Enter applies, Esc cancels. Everything runs in
        this page: nothing is sent anywhere, and the link in the address bar reopens this scenario at this step.
      </footer>
    </div>
  );
}

function RunTo(props: { last: number; onRun: (n: number) => void }): JSX.Element {
  const [target, setTarget] = useState('');
  return (
    <form
      class="run-to"
      onSubmit={(e) => {
        e.preventDefault();
        const n = Number(target);
        if (target !== '' && Number.isInteger(n)) props.onRun(n);
      }}
    >
      <label>
        to step{' '}
        <input id="run-to" type="number" min={0} max={props.last} value={target} onInput={(e) => setTarget((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Run to</button>
    </form>
  );
}
