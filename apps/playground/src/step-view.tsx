/** The step shown: its action, what it read, its check, what it changed, and the engine's trace events in order. */
import type { JSX } from 'preact';
import { eventText, outcomeText } from './describe.js';
import type { Session } from './session.js';

export function StepView(props: { session: Session; step: number }): JSX.Element {
  const { session, step } = props;
  const record = step > 0 ? session.timeline?.records[step - 1] : undefined;
  return (
    <section class="step-view" aria-labelledby="step-title">
      <h2 id="step-title">
        {record === undefined ? (session.timeline === null ? 'Nothing to run' : 'The machine as reset') : `Step ${step}: ${record.action}`}
      </h2>
      {record === undefined ? (
        <p class="hint">{session.timeline === null ? 'Fix the file (✎ Edit) and load it again.' : 'Step › runs the first step.'}</p>
      ) : (
        <>
          <p id="outcome" class={record.check?.ok === false ? 'outcome failed' : 'outcome'}>
            {outcomeText(record)}
          </p>
          <div class="columns">
            <div>
              <h3>What changed</h3>
              {record.changes.length === 0 ? (
                <p class="hint">Nothing a reader of the state can see.</p>
              ) : (
                <ul id="changes">
                  {record.changes.map((c, i) => (
                    <li key={i}>{c}</li>
                  ))}
                </ul>
              )}
            </div>
            <div>
              <h3>Trace events</h3>
              {(record.events?.length ?? 0) === 0 ? (
                <p class="hint">None.</p>
              ) : (
                <ol id="events">
                  {record.events!.map((e, i) => (
                    <li key={i} data-type={e.type}>
                      {eventText(e)}
                    </li>
                  ))}
                </ol>
              )}
            </div>
          </div>
        </>
      )}
    </section>
  );
}
