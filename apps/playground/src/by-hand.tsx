/**
 * Doing things by hand: raise or lower a device line, write or read a
 * register, take an interrupt and end it. Each becomes a step of the
 * scenario, after the step shown, and the page moves to it.
 */
import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import type { StepFields } from './add-step.js';
import type { Session } from './session.js';

/** The CPU interface registers a guest takes and ends an interrupt with. */
const CPUIF: Readonly<Record<string, { iar: string; eoir: string }>> = {
  v2: { iar: 'GICC_IAR', eoir: 'GICC_EOIR' },
  v3: { iar: 'ICC_IAR1_EL1', eoir: 'ICC_EOIR1_EL1' },
};

const NUMBER = /^(0x[0-9a-f]+|\d+)$/i;

function value(v: EventTarget | null): string {
  return (v as HTMLInputElement).value;
}

/** The last value vCPU `vcpu` read from its IAR up to step `step`, if it took a real interrupt. */
function lastTaken(session: Session, step: number, vcpu: number, iar: string): bigint | undefined {
  const records = session.timeline?.records ?? [];
  for (let i = Math.min(step, records.length) - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.step.action === 'read' && r.step.register === iar && (r.step.vcpu ?? 0) === vcpu && r.read !== undefined) {
      return (r.read & 0x3ffn) < 1020n ? r.read : undefined;
    }
  }
  return undefined;
}

export function ByHand(props: { session: Session; step: number; onStep: (fields: StepFields) => string | null }): JSX.Element {
  const { session, step, onStep } = props;
  const [intid, setIntid] = useState('40');
  const [level, setLevel] = useState('1');
  const [reg, setReg] = useState('');
  const [val, setVal] = useState('0x0');
  const [vcpu, setVcpu] = useState('0');
  const [problem, setProblem] = useState('');
  const add = (fields: StepFields): void => setProblem(onStep(fields) ?? '');
  const scenario = session.scenario;
  const cpuif = CPUIF[scenario?.gic ?? ''];
  const disabled = scenario === null;
  const vcpus = scenario?.vcpus ?? 1;
  const k = Math.min(Number(vcpu), vcpus - 1);
  const taken = cpuif === undefined ? undefined : lastTaken(session, step, k, cpuif.iar);
  const withVcpu = (fields: [string, string | number][]): StepFields => (k === 0 ? fields : [...fields, ['vcpu', k]]);
  const checked = (fields: [string, string | number][], ...numbers: string[]): void => {
    const bad = numbers.find((n) => !NUMBER.test(n.trim()));
    if (bad !== undefined) {
      setProblem(`“${bad}” is not a number: write it in decimal or as 0x hex.`);
      return;
    }
    add(withVcpu(fields));
  };

  return (
    <section class="by-hand" aria-labelledby="by-hand-title">
      <h2 id="by-hand-title">By hand</h2>
      <p class="hint">Each becomes a step of the scenario, after step {step}.</p>
      <fieldset disabled={disabled}>
        <label>
          as vCPU{' '}
          <select id="hand-vcpu" value={String(k)} onChange={(e) => setVcpu(value(e.target))}>
            {Array.from({ length: vcpus }, (_, i) => (
              <option key={i} value={String(i)}>
                {i}
              </option>
            ))}
          </select>
        </label>
        <form
          class="hand-row"
          onSubmit={(e) => {
            e.preventDefault();
            const n = intid.trim();
            // An SPI's line belongs to no vCPU; a PPI's to the one chosen.
            const fields: [string, string | number][] = [['inject', n], ['level', Number(level)]];
            if (NUMBER.test(n) && Number(n) >= 32) {
              add(fields);
            } else checked(fields, n);
          }}
        >
          <label>
            device line INTID <input id="hand-intid" size={5} value={intid} onInput={(e) => setIntid(value(e.target))} />
          </label>
          <label>
            to{' '}
            <select id="hand-level" value={level} onChange={(e) => setLevel(value(e.target))}>
              <option value="1">high (raise)</option>
              <option value="0">low (lower)</option>
            </select>
          </label>
          <button type="submit" id="hand-inject">
            Inject
          </button>
        </form>
        <form
          class="hand-row"
          onSubmit={(e) => {
            e.preventDefault();
            const read = (e.submitter as HTMLButtonElement | null)?.value === 'read';
            const name = reg.trim();
            if (name === '') {
              setProblem('Name the register: GICD_ISENABLER1, ICC_PMR_EL1, GICD+0x100…');
              return;
            }
            if (read) checked([['read', name]]);
            else checked([['write', name], ['value', val.trim()]], val);
          }}
        >
          <label>
            register <input id="hand-reg" size={18} list="registers" value={reg} placeholder={scenario?.gic === 'v2' ? 'GICC_PMR' : 'ICC_PMR_EL1'} onInput={(e) => setReg(value(e.target))} />
          </label>
          <label>
            value <input id="hand-value" size={10} value={val} onInput={(e) => setVal(value(e.target))} />
          </label>
          <button type="submit" id="hand-write" value="write">
            Write
          </button>
          <button type="submit" id="hand-read" value="read">
            Read
          </button>
        </form>
        <datalist id="registers">
          {session.registers.map((name) => (
            <option key={name} value={name} />
          ))}
        </datalist>
        {cpuif !== undefined && (
          <div class="hand-row">
            <button type="button" id="hand-take" onClick={() => add(withVcpu([['read', cpuif.iar]]))}>
              Take an interrupt ({cpuif.iar})
            </button>
            <button
              type="button"
              id="hand-end"
              disabled={taken === undefined}
              onClick={() => taken !== undefined && add(withVcpu([['write', cpuif.eoir], ['value', `0x${taken.toString(16)}`]]))}
            >
              End it ({cpuif.eoir}{taken === undefined ? '' : ` = 0x${taken.toString(16)}`})
            </button>
          </div>
        )}
      </fieldset>
      {problem !== '' && (
        <p class="problem" role="alert">
          {problem}
        </p>
      )}
    </section>
  );
}
