/**
 * The machine after the step shown: each vCPU (its lines as lamps, PMR,
 * running priority, active priorities, ap_list in order, list registers)
 * and the distributor (a grid of every interrupt, a table of those not in
 * their reset state). Whatever the step changed carries a Δ.
 */
import { diffIrq, type IrqState, type StateView } from '@vgic/core';
import type { JSX } from 'preact';
import { aprText, hex, lrStateText, priorityText } from './describe.js';
import type { Timeline } from './timeline.js';

type VcpuState = StateView['vcpus'][number];

function Delta(props: { on: boolean }): JSX.Element | null {
  return props.on ? (
    <span class="delta" title="changed by this step">
      Δ<span class="sr">changed</span>
    </span>
  ) : null;
}

function Lamp(props: { name: string; on: boolean; changed: boolean }): JSX.Element {
  return (
    <span class={props.on ? 'lamp on' : 'lamp'} data-lamp={props.name.toLowerCase()} data-on={props.on ? 'true' : 'false'}>
      <span aria-hidden="true">{props.on ? '●' : '○'}</span> {props.name} {props.on ? 'up' : 'down'}
      <Delta on={props.changed} />
    </span>
  );
}

function Field(props: { name: string; value: string; changed: boolean; id?: string }): JSX.Element {
  return (
    <div class={props.changed ? 'field changed' : 'field'}>
      <dt>{props.name}</dt>
      <dd data-field={props.id}>
        {props.value}
        <Delta on={props.changed} />
      </dd>
    </div>
  );
}

function same(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function Vcpu(props: { now: VcpuState; before: VcpuState; lrs: number }): JSX.Element {
  const { now, before } = props;
  const lrsChanged = JSON.stringify(now.lrs) !== JSON.stringify(before.lrs);
  return (
    <section class="vcpu" data-vcpu={now.vcpu} aria-label={`vCPU${now.vcpu}`}>
      <header>
        <h3>vCPU{now.vcpu}</h3>
        <span class={now.running ? 'run-state running' : 'run-state'}>
          {now.running ? '▶ running' : '■ outside'}
          <Delta on={now.running !== before.running} />
        </span>
        <Lamp name="IRQ" on={now.irqLine} changed={now.irqLine !== before.irqLine} />
        <Lamp name="FIQ" on={now.fiqLine} changed={now.fiqLine !== before.fiqLine} />
      </header>
      <dl class="fields">
        <Field name="PMR" id="pmr" value={hex(now.pmr)} changed={now.pmr !== before.pmr} />
        <Field name="running priority" id="rpr" value={priorityText(now.runningPriority)} changed={now.runningPriority !== before.runningPriority} />
        <Field name="active priorities" id="apr" value={aprText(now.apr)} changed={!same(now.apr, before.apr)} />
        <Field name="groups" value={`Grp0 ${now.groupEnable[0] ? 'on' : 'off'}, Grp1 ${now.groupEnable[1] ? 'on' : 'off'}`} changed={!same(now.groupEnable, before.groupEnable)} />
        <Field name="BPR0 / BPR1" value={`${now.bpr0} / ${now.bpr1}`} changed={now.bpr0 !== before.bpr0 || now.bpr1 !== before.bpr1} />
        <Field name="EOImode" value={String(now.eoiMode)} changed={now.eoiMode !== before.eoiMode} />
      </dl>
      <div class={same(now.apList, before.apList) ? 'aplist' : 'aplist changed'}>
        <h4>
          ap_list <Delta on={!same(now.apList, before.apList)} />
        </h4>
        {now.apList.length === 0 ? (
          <p class="hint">empty</p>
        ) : (
          <ol data-aplist={now.vcpu}>
            {now.apList.map((intid, i) => (
              <li key={i}>{intid}</li>
            ))}
          </ol>
        )}
      </div>
      <div class={lrsChanged ? 'lrs changed' : 'lrs'}>
        <h4>
          list registers{' '}
          <span class="hint">
            {now.lrs.length} of {props.lrs} in use{now.running ? '' : ' (the vCPU is outside: they hold nothing live)'}
          </span>{' '}
          <Delta on={lrsChanged} />
        </h4>
        {now.lrs.length > 0 && (
          <table data-lrs={now.vcpu}>
            <thead>
              <tr>
                <th scope="col">LR</th>
                <th scope="col">INTID</th>
                <th scope="col">state</th>
                <th scope="col">priority</th>
                <th scope="col">notes</th>
              </tr>
            </thead>
            <tbody>
              {now.lrs.map((lr) => {
                const st = lrStateText(lr.state);
                const notes = [lr.group === 0 ? 'group 0' : '', lr.hw ? `hw → host ${lr.hostIntid}` : '', lr.intid < 16 && lr.source !== 0 ? `from vCPU${lr.source}` : '', lr.eoi ? 'EOI maintenance' : '']
                  .filter(Boolean)
                  .join(', ');
                return (
                  <tr key={lr.lr} data-lr={lr.lr} data-intid={lr.intid} data-state={st}>
                    <td>LR{lr.lr}</td>
                    <td>{lr.intid}</td>
                    <td class={`lr-state s-${st === 'P+A' ? 'pa' : st === 'P' ? 'p' : st === 'A' ? 'a' : 'none'}`}>{st}</td>
                    <td>{hex(lr.priority)}</td>
                    <td>{notes}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}

function flags(st: IrqState): string {
  return `${st.enabled ? 'E' : '·'}${st.pending ? 'P' : '·'}${st.active ? 'A' : '·'}`;
}

function describeIrq(st: IrqState): string {
  const on = [st.enabled && 'enabled', st.pending && 'pending', st.active && 'active'].filter(Boolean).join(', ') || 'idle';
  return `INTID ${st.intid}${st.vcpu === null ? '' : ` of vCPU${st.vcpu}`}: ${on}, priority ${hex(st.priority)}, group ${st.group}, ${st.config}, to ${st.target === null ? 'no vCPU' : `vCPU${st.target}`}`;
}

function Grid(props: { label: string; irqs: readonly IrqState[]; changed: ReadonlySet<IrqState> }): JSX.Element {
  return (
    <div class="grid-block">
      <h4>{props.label}</h4>
      <ul class="grid">
        {props.irqs.map((st) => {
          const cls = ['cell', st.enabled && 'e', st.pending && 'p', st.active && 'a', props.changed.has(st) && 'changed'].filter(Boolean).join(' ');
          return (
            <li key={st.intid} class={cls} title={describeIrq(st)} data-intid={st.intid}>
              <b>
                {st.intid}
                {props.changed.has(st) ? 'Δ' : ''}
              </b>
              <span>{flags(st)}</span>
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function groupsText(g: number): string {
  const on = [0, 1].filter((k) => (g & (1 << k)) !== 0).map((k) => `Grp${k}`);
  return on.length === 0 ? 'disabled' : `${on.join(' + ')} enabled`;
}

function Distributor(props: { now: StateView; before: StateView; reset: StateView }): JSX.Element {
  const { now, before, reset } = props;
  const changed = new Set<IrqState>();
  const used: IrqState[] = [];
  now.irqs.forEach((st, s) => {
    if (diffIrq(before.irqs[s]!, st).length > 0) changed.add(st);
    if (st.pending || st.active || st.queued !== null || diffIrq(reset.irqs[s]!, st).length > 0) used.push(st);
  });
  const spis = now.irqs.filter((st) => st.vcpu === null);
  const privates = now.vcpus.map((c) => now.irqs.filter((st) => st.vcpu === c.vcpu));
  return (
    <section class="dist" aria-label="Distributor">
      <h3>
        Distributor: <span data-field="dist">{groupsText(now.dist)}</span> <Delta on={now.dist !== before.dist} />
      </h3>
      <p class="legend">
        Each interrupt: <b>E</b> enabled, <b>P</b> pending, <b>A</b> active, <b>·</b> not; <b>Δ</b> changed by this step.
      </p>
      {spis.length > 0 && <Grid label={`SPIs ${spis[0]!.intid}–${spis[spis.length - 1]!.intid}`} irqs={spis} changed={changed} />}
      {privates.map((irqs, k) => (
        <details key={k} open={irqs.some((st) => changed.has(st) || st.pending || st.active)}>
          <summary>vCPU{k}'s SGIs and PPIs (0–31)</summary>
          <Grid label={`vCPU${k}: SGIs 0–15, PPIs 16–31`} irqs={irqs} changed={changed} />
        </details>
      ))}
      <h4>Interrupts not in their reset state</h4>
      {used.length === 0 ? (
        <p class="hint">None.</p>
      ) : (
        <div class="table-wrap">
          <table class="irqs">
            <thead>
              <tr>
                <th scope="col">INTID</th>
                <th scope="col">enabled</th>
                <th scope="col">pending</th>
                <th scope="col">active</th>
                <th scope="col">group</th>
                <th scope="col">priority</th>
                <th scope="col">trigger</th>
                <th scope="col">routed to</th>
                <th scope="col">ap_list of</th>
                <th scope="col">LR</th>
              </tr>
            </thead>
            <tbody>
              {used.map((st) => (
                <tr key={`${st.vcpu}:${st.intid}`} class={changed.has(st) ? 'changed' : undefined} data-irq={st.intid} data-of={st.vcpu ?? 'spi'}>
                  <th scope="row">
                    {st.intid}
                    {st.vcpu === null ? '' : ` (vCPU${st.vcpu})`}
                    <Delta on={changed.has(st)} />
                  </th>
                  <td>{st.enabled ? 'yes' : '—'}</td>
                  <td data-col="pending">{st.pending ? 'yes' : '—'}</td>
                  <td data-col="active">{st.active ? 'yes' : '—'}</td>
                  <td>{st.group}</td>
                  <td>{hex(st.priority)}</td>
                  <td>{st.config}</td>
                  <td>{st.target === null ? '—' : `vCPU${st.target}`}</td>
                  <td>{st.queued === null ? '—' : `vCPU${st.queued}`}</td>
                  <td>{st.lr === null ? '—' : `LR${st.lr}`}{st.hw ? `, hw → ${st.hostIntid}` : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function MachineView(props: { timeline: Timeline; step: number }): JSX.Element {
  const { timeline, step } = props;
  const reset = timeline.view(0);
  const before = step > 0 ? timeline.view(step - 1) : reset;
  const now = timeline.view(step);
  return (
    <section class="machine" aria-label="The machine after this step">
      <h2>The machine {step === 0 ? 'as reset' : `after step ${step}`}</h2>
      <div class="vcpus">
        {now.vcpus.map((c, k) => (
          <Vcpu key={k} now={c} before={before.vcpus[k]!} lrs={timeline.scenario.lrs ?? 4} />
        ))}
      </div>
      <Distributor now={now} before={before} reset={reset} />
    </section>
  );
}
