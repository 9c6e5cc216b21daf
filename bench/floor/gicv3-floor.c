/*
 * gicv3-floor.c — the C floor of `vgic bench --floor`.
 *
 * The engine's GICv3 spi-roundtrip and burst16, written plainly in C so that
 * "ours / C" measures what the language and the runtime cost, not a
 * difference in the work done. Everything the engine does on those paths is
 * done here, in the same order, on the same data layout: one array per field
 * (the engine's typed arrays), interrupt slots as indices, each vCPU's
 * ap_list an intrusive list over next/prev words with its head at index
 * nr_slots + vcpu, and every lock a 32-bit word.
 *
 * One spi-roundtrip (1 vCPU, SPI 32, edge, group 1, priority 0xa0, PMR 0xf8,
 * BPR1 3, EOImode 0, 4 list registers):
 *   inject(32, 1)   argument and INTID checks; irq lock; the injection's
 *                   validation; the edge latch; queue: the target oracle,
 *                   drop the irq lock, ap_list lock then irq lock (the lock
 *                   order), the oracle again, add to the list, kick the
 *                   vCPU (the kick word and, shared, the run state)
 *   enter(0)        clear the kick, ap_list lock, sort when two or more are
 *                   queued, fill the list registers under each irq lock with
 *                   the oracle and the overflow rule, underflow request, run
 *                   state, the outputs marked stale
 *   ICC_IAR1_EL1    vCPU check, dispatch by packed encoding through a 64 Ki
 *                   table, the implicit enter/resync check, acknowledge: the
 *                   highest pending LR in an enabled group, PMR and running
 *                   priority (binary point, active priorities), the group
 *                   check, LR active, active-priority bit set, underflow
 *   ICC_EOIR1_EL1   the same dispatch; priority drop, the active LR, group
 *                   and group-priority match, deactivation, maintenance and
 *                   hardware-deactivation checks
 *   exit(0)         fold each used LR under its irq lock, then prune the
 *                   ap_list under its lock (each entry under its irq lock)
 * That is eight lock/unlock pairs, as in the engine. Every hook the engine
 * tests (tracer, lock checker, line, kick, EOI and deactivation listeners) is
 * tested here too, and is never set.
 *
 * burst16: SPIs 32..47 at priority 0x80 - 8k are injected; then {enter,
 * acknowledge and EOI until 1023, exit} until nothing is pending: 16 through
 * 4 list registers, the underflow maintenance bringing the vCPU back.
 *
 * Build:  cc -O2 gicv3-floor.c -o floor                 (plain locks: one thread)
 *         cc -O2 -DFLOOR_ATOMIC gicv3-floor.c -o floor  (compare-and-swap locks:
 *         a shared buffer, as the engine's AtomicLocks)
 * Run:    ./floor [OPS]   prints "plain|atomic <workload> <ns per op>" lines.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#include <sched.h>
#endif

#define NOINLINE __attribute__((noinline))

enum { VCPUS = 1, SPIS = 32, LRS = 4, SLOTS = VCPUS * 32 + SPIS, APR_WORDS = 8 };
enum { NONE = -1, SPURIOUS = 1023, IDLE_PRIORITY = 0xff };
enum { CONFIG_EDGE = 0, CONFIG_LEVEL = 1 };
enum { LR_PENDING = 1, LR_ACTIVE = 2 };
enum { VCPU_OUTSIDE = 0, VCPU_RUNNING = 1, VCPU_WFI = 2 };
enum { FLAG_LR_DEACTIVATE = 1, FLAG_LR_ACTIVATE = 2, FLAG_LR_UNPEND = 4 };
enum { DEBUG_NO_QUEUE_RECHECK = 2 };
enum { PRIORITY_BITS = 5, BPR_MIN = 8 - PRIORITY_BITS, APR_USED = 1 };

/* ------------------------------------------------------------ state, one array per field */

static int32_t lock_words[SLOTS + VCPUS];
static int32_t next_slot[SLOTS + VCPUS], prev_slot[SLOTS + VCPUS];
static int32_t owner[SLOTS], target[SLOTS], in_lr[SLOTS];
static uint32_t intid_of[SLOTS], host_intid[SLOTS];
static uint8_t enabled[SLOTS], pending_latch[SLOTS], line_level[SLOTS], active[SLOTS], config[SLOTS];
static uint8_t group_of[SLOTS], priority_of[SLOTS], hw[SLOTS], flags[SLOTS];

static int32_t kick[VCPUS], run_state[VCPUS];
static int32_t used_lrs[VCPUS];
static uint8_t uie[VCPUS], maint[VCPUS], lines_stale[VCPUS], irq_line[VCPUS], fiq_line[VCPUS];
static uint32_t eoi_count[VCPUS], fold_coalesced[VCPUS];
static uint8_t pmr[VCPUS], bpr0[VCPUS], bpr1[VCPUS], cbpr[VCPUS], grp_en0[VCPUS], grp_en1[VCPUS];
static uint8_t eoi_mode[VCPUS], fiq_en[VCPUS];
static uint32_t apr[VCPUS * APR_WORDS];

static int32_t lr_slot[VCPUS * LRS];
static uint32_t lr_intid[VCPUS * LRS], lr_host[VCPUS * LRS];
static uint8_t lr_state[VCPUS * LRS], lr_prio[VCPUS * LRS], lr_group[VCPUS * LRS];
static uint8_t lr_hw[VCPUS * LRS], lr_eoi[VCPUS * LRS], lr_src[VCPUS * LRS];

static int32_t dist_enable; /* bit g: the distributor forwards group g */
static int32_t debug_flags;

/* Run-time settings and hooks the engine tests on every call. Not static, so
 * the compiler cannot assume they keep the values they start with. */
int shared_state;
int sgi_sources; /* GICv2's per-source SGIs: off on GICv3 */
int spi_limit = 32 + SPIS;
void (*tracer)(const char *event, int a, int b);
void (*lock_checker)(int index);
void (*on_kick)(int vcpu);
void (*on_line)(int vcpu, int irq, int fiq);
void (*on_eoi_notify)(uint32_t intid, int vcpu);
void (*on_host_deactivate)(uint32_t host, uint32_t intid, int vcpu);

/* ------------------------------------------------------------ locks */

static inline void futex_wait(int32_t *word, int32_t value) {
#ifdef __linux__
  syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
#else
  (void)word; (void)value;
  sched_yield();
#endif
}

static inline void futex_wake(int32_t *word) {
#ifdef __linux__
  syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
#else
  (void)word;
#endif
}


#ifdef FLOOR_ATOMIC
static const char *const MODE = "atomic";

/* The engine's AtomicLocks: compare-and-swap, a short spin, then the
 * three-state protocol (0 free, 1 held, 2 held with waiters). */
static NOINLINE void acquire_slow(int32_t *word) {
  for (int n = 0; n < 64; n++) {
    int32_t free_word = 0;
    if (__atomic_load_n(word, __ATOMIC_SEQ_CST) == 0 &&
        __atomic_compare_exchange_n(word, &free_word, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
      return;
  }
  while (__atomic_exchange_n(word, 2, __ATOMIC_SEQ_CST) != 0) futex_wait(word, 2);
}

static inline void acquire(int index) {
  int32_t free_word = 0;
  if (lock_checker != NULL) lock_checker(index);
  if (__atomic_compare_exchange_n(&lock_words[index], &free_word, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) return;
  acquire_slow(&lock_words[index]);
}

static inline void release(int index) {
  if (__atomic_exchange_n(&lock_words[index], 0, __ATOMIC_SEQ_CST) == 2) futex_wake(&lock_words[index]);
}
#else
static const char *const MODE = "plain";

/* The engine's PlainLocks: one thread, so finding a lock held is a bug. */
static inline void acquire(int index) {
  if (lock_checker != NULL) lock_checker(index);
  if (lock_words[index] != 0) {
    fprintf(stderr, "lock %d already held\n", index);
    abort();
  }
  lock_words[index] = 1;
}

static inline void release(int index) { lock_words[index] = 0; }
#endif

static inline void lock_irq(int slot) { acquire(slot); }
static inline void unlock_irq(int slot) { release(slot); }
static inline void lock_ap_list(int vcpu) { acquire(SLOTS + vcpu); }
static inline void unlock_ap_list(int vcpu) { release(SLOTS + vcpu); }

static inline int lowest_bit(uint32_t w) { return w == 0 ? -1 : __builtin_ctz(w); }

/* ------------------------------------------------------------ decisions */

static inline int is_pending(int s) {
  return config[s] == CONFIG_LEVEL ? (line_level[s] | pending_latch[s]) != 0 : pending_latch[s] != 0;
}

static inline int dist_group_enabled(int s) { return ((dist_enable >> group_of[s]) & 1) != 0; }

static inline int target_oracle(int s) {
  if (active[s]) return owner[s] != NONE ? owner[s] : target[s];
  if (enabled[s] && is_pending(s) && dist_group_enabled(s)) return target[s];
  return NONE;
}

static inline int validate_injection(int s, int level) {
  return config[s] == CONFIG_LEVEL ? (line_level[s] != 0) != level : level;
}

static inline int owner_group_enabled(int s) {
  int o = owner[s];
  if (o == NONE) return 1;
  return (group_of[s] == 0 ? grp_en0[o] : grp_en1[o]) != 0;
}

static int ap_list_cmp(int a, int b) {
  if (active[a] != active[b]) return active[b] - active[a];
  if (!active[a]) {
    int pa = enabled[a] && is_pending(a), pb = enabled[b] && is_pending(b);
    if (pa != pb) return pb - pa;
    if (pa) {
      int ga = owner_group_enabled(a), gb = owner_group_enabled(b);
      if (ga != gb) return gb - ga;
    }
  }
  int d = priority_of[a] - priority_of[b];
  return d != 0 ? d : (int)intid_of[a] - (int)intid_of[b];
}

/* ------------------------------------------------------------ ap_lists */

static inline void list_add_tail(int vcpu, int s) {
  int head = SLOTS + vcpu, last = prev_slot[head];
  next_slot[s] = head;
  prev_slot[s] = last;
  next_slot[last] = s;
  prev_slot[head] = s;
}

static inline void list_del(int s) {
  int n = next_slot[s], p = prev_slot[s];
  next_slot[p] = n;
  prev_slot[n] = p;
  next_slot[s] = prev_slot[s] = NONE;
}

static void list_sort(int vcpu) {
  int head = SLOTS + vcpu;
  int it = next_slot[head];
  if (it == head) return;
  for (it = next_slot[it]; it != head;) {
    int following = next_slot[it];
    int p = prev_slot[it];
    while (p != head && ap_list_cmp(p, it) > 0) p = prev_slot[p];
    if (p != prev_slot[it]) {
      list_del(it);
      int after = next_slot[p];
      prev_slot[it] = p;
      next_slot[it] = after;
      prev_slot[after] = it;
      next_slot[p] = it;
    }
    it = following;
  }
}

/* ------------------------------------------------------------ kick and queue */

static void kick_vcpu(int vcpu) {
  if (shared_state) {
    if (__atomic_load_n(&kick[vcpu], __ATOMIC_SEQ_CST) == 0) {
      __atomic_store_n(&kick[vcpu], 1, __ATOMIC_SEQ_CST);
      if (__atomic_load_n(&run_state[vcpu], __ATOMIC_SEQ_CST) == VCPU_WFI) futex_wake(&kick[vcpu]);
    }
  } else {
    kick[vcpu] = 1;
  }
  if (on_kick != NULL) on_kick(vcpu);
  if (tracer != NULL) tracer("kick", vcpu, 0);
}

/* Entered with the irq lock of s held; returns with no lock held. */
static int queue_irq_unlock(int s) {
  for (;;) {
    int vcpu = target_oracle(s);
    if (owner[s] != NONE || vcpu == NONE) {
      unlock_irq(s);
      if (vcpu != NONE) kick_vcpu(vcpu);
      return 0;
    }
    unlock_irq(s);
    lock_ap_list(vcpu);
    lock_irq(s);
    if ((owner[s] != NONE || target_oracle(s) != vcpu) && (debug_flags & DEBUG_NO_QUEUE_RECHECK) == 0) {
      unlock_irq(s);
      unlock_ap_list(vcpu);
      lock_irq(s);
      continue;
    }
    list_add_tail(vcpu, s);
    owner[s] = vcpu;
    unlock_irq(s);
    unlock_ap_list(vcpu);
    if (tracer != NULL) tracer("queue", (int)intid_of[s], vcpu);
    kick_vcpu(vcpu);
    return 1;
  }
}

static int inject_slot(int s, int level) {
  lock_irq(s);
  if (!validate_injection(s, level)) {
    unlock_irq(s);
    if (tracer != NULL) tracer("inject", (int)intid_of[s], 0);
    return 0;
  }
  if (tracer != NULL) tracer("inject", (int)intid_of[s], 1);
  int changed = 1;
  if (config[s] == CONFIG_LEVEL) {
    line_level[s] = level ? 1 : 0;
  } else {
    changed = pending_latch[s] == 0;
    pending_latch[s] = 1;
  }
  queue_irq_unlock(s);
  return changed;
}

/* ------------------------------------------------------------ the CPU interface */

static inline int binary_point(int vcpu, int grp) {
  if (grp == 0) return bpr0[vcpu] + 1;
  if (cbpr[vcpu]) return bpr0[vcpu] < 7 ? bpr0[vcpu] + 1 : bpr0[vcpu];
  return bpr1[vcpu];
}

static inline int group_priority(int vcpu, int prio, int grp) {
  return prio & ((0xff << binary_point(vcpu, grp)) & 0xff);
}

static inline int highest_active_priority(int vcpu) {
  const uint32_t *a = &apr[vcpu * APR_WORDS];
  for (int i = 0; i < APR_USED; i++) {
    uint32_t w = a[i] | a[4 + i];
    if (w != 0) return ((i * 32 + lowest_bit(w)) << BPR_MIN) & 0xff;
  }
  return IDLE_PRIORITY;
}

static inline void set_active_priority(int vcpu, int prio, int grp) {
  int ap = group_priority(vcpu, prio, grp) >> BPR_MIN;
  apr[vcpu * APR_WORDS + grp * 4 + (ap >> 5)] |= 1u << (ap & 31);
}

static inline void clear_highest_active_priority(int vcpu) {
  uint32_t *a = &apr[vcpu * APR_WORDS];
  for (int i = 0; i < APR_USED; i++) {
    uint32_t ap0 = a[i], ap1 = a[4 + i];
    if ((ap0 | ap1) == 0) continue;
    int c0 = ap0 ? lowest_bit(ap0) : 32, c1 = ap1 ? lowest_bit(ap1) : 32;
    if (c0 < c1) a[i] = ap0 & ~(1u << c0);
    else a[4 + i] = ap1 & ~(1u << c1);
    return;
  }
}

static inline int group_enabled(int vcpu, int grp) { return (grp == 0 ? grp_en0[vcpu] : grp_en1[vcpu]) != 0; }

static int highest_pending_lr(int vcpu) {
  int best = -1, best_prio = 0x100;
  for (int k = 0; k < used_lrs[vcpu]; k++) {
    int lr = vcpu * LRS + k;
    if (lr_state[lr] != LR_PENDING || !group_enabled(vcpu, lr_group[lr])) continue;
    if (lr_prio[lr] < best_prio) {
      best_prio = lr_prio[lr];
      best = k;
    }
  }
  return best;
}

static inline int can_signal(int vcpu, int k) {
  int lr = vcpu * LRS + k;
  return lr_prio[lr] < pmr[vcpu] &&
         group_priority(vcpu, lr_prio[lr], lr_group[lr]) < highest_active_priority(vcpu);
}

static void compute_lines(int vcpu) {
  lines_stale[vcpu] = 0;
  int irq = 0, fiq = 0;
  if (run_state[vcpu] == VCPU_RUNNING) {
    int k = highest_pending_lr(vcpu);
    if (k >= 0 && can_signal(vcpu, k)) {
      if (lr_group[vcpu * LRS + k] == 0 && fiq_en[vcpu]) fiq = 1;
      else irq = 1;
    }
  }
  if (irq != irq_line[vcpu] || fiq != fiq_line[vcpu]) {
    irq_line[vcpu] = (uint8_t)irq;
    fiq_line[vcpu] = (uint8_t)fiq;
    if (on_line != NULL) on_line(vcpu, irq, fiq);
    if (tracer != NULL) tracer("line", vcpu, irq);
  }
}

/* Outputs are recomputed at once only for a listener; otherwise when read. */
static inline void update_lines(int vcpu) {
  if (on_line == NULL && tracer == NULL) lines_stale[vcpu] = 1;
  else compute_lines(vcpu);
}

static inline void raise_maintenance(int vcpu, const char *why) {
  maint[vcpu] = 1;
  if (tracer != NULL) tracer(why, vcpu, 0);
}

static void check_underflow(int vcpu) {
  if (!uie[vcpu] || maint[vcpu]) return;
  int valid = 0, pending = 0;
  for (int k = 0; k < used_lrs[vcpu]; k++) {
    int st = lr_state[vcpu * LRS + k];
    if (st != 0) valid++;
    if (st == LR_PENDING) pending++;
  }
  if (valid <= 1) raise_maintenance(vcpu, "underflow");
  else if (pending == 0) raise_maintenance(vcpu, "no-pending");
}

static uint32_t cpuif_ack(int vcpu, int group_mask) {
  int k = highest_pending_lr(vcpu);
  uint32_t value = SPURIOUS;
  if (k >= 0 && can_signal(vcpu, k)) {
    int lr = vcpu * LRS + k;
    int grp = lr_group[lr];
    if (((group_mask >> grp) & 1) == 0) {
      value = SPURIOUS;
    } else {
      lr_state[lr] = LR_ACTIVE;
      set_active_priority(vcpu, lr_prio[lr], grp);
      value = lr_intid[lr];
      if (sgi_sources && value < 16) value |= (uint32_t)lr_src[lr] << 10;
      update_lines(vcpu);
      check_underflow(vcpu);
    }
  }
  if (tracer != NULL) tracer("ack", vcpu, (int)(value & 0x3ff));
  return value;
}

static int find_active_lr(int vcpu, uint32_t intid) {
  for (int k = 0; k < used_lrs[vcpu]; k++) {
    int lr = vcpu * LRS + k;
    if (lr_intid[lr] == intid && (lr_state[lr] & LR_ACTIVE) != 0) return k;
  }
  return -1;
}

static void clear_active_lr(int vcpu, int k) {
  int lr = vcpu * LRS + k;
  int st = lr_state[lr] & ~LR_ACTIVE;
  lr_state[lr] = (uint8_t)st;
  if (lr_hw[lr] && on_host_deactivate != NULL) on_host_deactivate(lr_host[lr], lr_intid[lr], vcpu);
  if (st == 0 && lr_eoi[lr]) raise_maintenance(vcpu, "eoi");
}

/* An EOI of an interrupt in no list register: deactivated where it is. */
static int deactivate_outside_lrs(int vcpu, uint32_t intid) {
  int s = intid < 32 ? vcpu * 32 + (int)intid : (intid < (uint32_t)spi_limit ? VCPUS * 32 + (int)intid - 32 : NONE);
  if (s == NONE) return 0;
  lock_irq(s);
  if (!active[s] || owner[s] != vcpu || in_lr[s] != NONE) {
    unlock_irq(s);
    return 0;
  }
  active[s] = 0;
  if (config[s] == CONFIG_LEVEL && !hw[s]) pending_latch[s] = 0;
  queue_irq_unlock(s);
  return 1;
}

static void cpuif_eoi(int vcpu, uint32_t intid, int grp) {
  if (intid >= 1020 && intid <= 1023) return;
  int act_prio = highest_active_priority(vcpu);
  clear_highest_active_priority(vcpu);
  int k = find_active_lr(vcpu, intid);
  int deactivated = 0;
  if (k < 0) {
    eoi_count[vcpu]++;
    if (eoi_mode[vcpu] == 0) deactivated = deactivate_outside_lrs(vcpu, intid);
    raise_maintenance(vcpu, "lr-entry-not-present");
  } else if (eoi_mode[vcpu] == 0) {
    int lr = vcpu * LRS + k;
    if ((grp < 0 || lr_group[lr] == grp) && group_priority(vcpu, lr_prio[lr], lr_group[lr]) == act_prio) {
      clear_active_lr(vcpu, k);
      deactivated = 1;
    }
  }
  if (tracer != NULL) tracer("eoi", (int)intid, deactivated);
  update_lines(vcpu);
  check_underflow(vcpu);
}

/* ------------------------------------------------------------ flush (enter) and sync (exit) */

static void populate_lr(int vcpu, int s, int k) {
  int lr = vcpu * LRS + k;
  int state = 0, eoi = 0, allow_pending = 1;
  if (active[s]) state = LR_ACTIVE;
  if (hw[s]) {
    if (state != 0) allow_pending = 0;
  } else if (config[s] == CONFIG_LEVEL) {
    eoi = 1;
    if (state != 0) allow_pending = 0;
  }
  if (allow_pending && is_pending(s)) {
    state |= LR_PENDING;
    if (config[s] == CONFIG_EDGE) pending_latch[s] = 0;
  }
  lr_slot[lr] = s;
  lr_intid[lr] = intid_of[s];
  lr_state[lr] = (uint8_t)state;
  lr_prio[lr] = priority_of[s];
  lr_group[lr] = group_of[s];
  lr_hw[lr] = hw[s];
  lr_host[lr] = host_intid[s];
  lr_eoi[lr] = hw[s] ? 0 : (uint8_t)eoi;
  lr_src[lr] = 0;
  in_lr[s] = k;
}

/* The first pending, inactive interrupt from `start` on routed here, its irq lock held; or NONE. */
static int first_deliverable_pending(int vcpu, int start) {
  for (int it = start; it != SLOTS + vcpu; it = next_slot[it]) {
    if (active[it]) continue;
    lock_irq(it);
    if (!active[it] && target_oracle(it) == vcpu) return it;
    unlock_irq(it);
  }
  return NONE;
}

static void flush_lr_state(int vcpu) {
  int head = SLOTS + vcpu;
  if (shared_state) __atomic_store_n(&kick[vcpu], 0, __ATOMIC_SEQ_CST);
  else kick[vcpu] = 0;
  lock_ap_list(vcpu);
  if (next_slot[next_slot[head]] != head) list_sort(vcpu);
  int k = 0, left_over = 0, misrouted = 0;
  for (int it = next_slot[head]; it != head; it = next_slot[it]) {
    if (k == LRS) {
      left_over = 1;
      break;
    }
    lock_irq(it);
    if (k == LRS - 1 && active[it]) {
      /* The last LR, every earlier one active: keep it for a pending one. */
      unlock_irq(it);
      int pending = first_deliverable_pending(vcpu, next_slot[it]);
      if (pending != NONE) {
        populate_lr(vcpu, pending, k++);
        unlock_irq(pending);
        left_over = 1;
        break;
      }
      lock_irq(it);
    }
    int t = target_oracle(it);
    if (t == vcpu) populate_lr(vcpu, it, k++);
    else if (t != NONE) misrouted = 1;
    unlock_irq(it);
  }
  used_lrs[vcpu] = k;
  uie[vcpu] = (uint8_t)left_over;
  run_state[vcpu] = VCPU_RUNNING;
  unlock_ap_list(vcpu);
  if (misrouted) kick_vcpu(vcpu);
  if (tracer != NULL) tracer("flush", vcpu, k);
  update_lines(vcpu);
}

static void fold_lr(int vcpu, int k) {
  int lr = vcpu * LRS + k;
  int s = lr_slot[lr];
  int state = lr_state[lr];
  lock_irq(s);
  int f = flags[s];
  if (f != 0) {
    if (f & FLAG_LR_DEACTIVATE) state &= ~LR_ACTIVE;
    if (f & FLAG_LR_ACTIVATE) state |= LR_ACTIVE;
    if (f & FLAG_LR_UNPEND) state &= ~LR_PENDING;
    flags[s] = 0;
  }
  in_lr[s] = NONE;
  active[s] = (state & LR_ACTIVE) != 0;
  if (config[s] == CONFIG_EDGE && (state & LR_PENDING) != 0) {
    if (pending_latch[s]) fold_coalesced[vcpu]++;
    pending_latch[s] = 1;
  }
  if (config[s] == CONFIG_LEVEL && (state & (LR_PENDING | LR_ACTIVE)) == 0) pending_latch[s] = 0;
  unlock_irq(s);
  if (state == 0 && lr_eoi[lr] && on_eoi_notify != NULL && config[s] == CONFIG_LEVEL) on_eoi_notify(lr_intid[lr], vcpu);
  if (tracer != NULL) tracer("fold", vcpu, k);
}

static void prune_ap_list(int vcpu) {
  int head = SLOTS + vcpu;
retry:
  lock_ap_list(vcpu);
  for (int it = next_slot[head]; it != head;) {
    int following = next_slot[it];
    lock_irq(it);
    int t = target_oracle(it);
    if (t == NONE) {
      list_del(it);
      owner[it] = NONE;
      unlock_irq(it);
      if (tracer != NULL) tracer("prune", vcpu, (int)intid_of[it]);
      it = following;
      continue;
    }
    if (t == vcpu) {
      unlock_irq(it);
      it = following;
      continue;
    }
    /* Routed to another vCPU: both lists, the lower vCPU's lock first. */
    unlock_irq(it);
    unlock_ap_list(vcpu);
    int a = vcpu < t ? vcpu : t, b = vcpu < t ? t : vcpu;
    lock_ap_list(a);
    lock_ap_list(b);
    lock_irq(it);
    int moved = 0;
    if (owner[it] == vcpu && target_oracle(it) == t) {
      list_del(it);
      owner[it] = t;
      list_add_tail(t, it);
      moved = 1;
    }
    unlock_irq(it);
    unlock_ap_list(b);
    unlock_ap_list(a);
    if (moved) kick_vcpu(t);
    goto retry;
  }
  unlock_ap_list(vcpu);
}

static void sync_hw_state(int vcpu) {
  for (int k = 0; k < used_lrs[vcpu]; k++) fold_lr(vcpu, k);
  used_lrs[vcpu] = 0;
  uie[vcpu] = 0;
  maint[vcpu] = 0;
  eoi_count[vcpu] = 0;
  run_state[vcpu] = VCPU_OUTSIDE;
  prune_ap_list(vcpu);
  update_lines(vcpu);
}

/* ------------------------------------------------------------ the integrator's API */

static void check_vcpu(int vcpu) {
  if ((unsigned)vcpu >= VCPUS) {
    fprintf(stderr, "no vCPU %d\n", vcpu);
    exit(2);
  }
}

static NOINLINE int api_inject(int intid, int level) {
  if (level != 0 && level != 1) exit(2);
  if (!(intid >= 32 && intid < spi_limit)) exit(2);
  return inject_slot(VCPUS * 32 + intid - 32, level);
}

static NOINLINE void api_enter(int vcpu) {
  check_vcpu(vcpu);
  if (run_state[vcpu] == VCPU_RUNNING) sync_hw_state(vcpu);
  flush_lr_state(vcpu);
}

static NOINLINE void api_exit(int vcpu) {
  check_vcpu(vcpu);
  if (run_state[vcpu] == VCPU_RUNNING) sync_hw_state(vcpu);
}

static NOINLINE int api_has_pending(int vcpu) {
  check_vcpu(vcpu);
  if (dist_enable == 0) return 0;
  if (run_state[vcpu] == VCPU_RUNNING) {
    for (int k = 0; k < used_lrs[vcpu]; k++)
      if (lr_state[vcpu * LRS + k] == LR_PENDING && lr_prio[vcpu * LRS + k] < pmr[vcpu]) return 1;
  }
  int head = SLOTS + vcpu, found = 0;
  lock_ap_list(vcpu);
  for (int it = next_slot[head]; it != head && !found; it = next_slot[it]) {
    lock_irq(it);
    found = in_lr[it] == NONE && enabled[it] && !active[it] && is_pending(it) && priority_of[it] < pmr[vcpu] &&
            target_oracle(it) == vcpu;
    unlock_irq(it);
  }
  unlock_ap_list(vcpu);
  return found;
}

/* A system register: what the engine's SysregDef holds. */
typedef struct {
  int traps;
  int group;
  uint32_t (*read)(int vcpu, int group);
  void (*write)(int vcpu, uint32_t lo, uint32_t hi, int group);
} sysreg_t;

static uint32_t iar_read(int vcpu, int group) { return cpuif_ack(vcpu, 1 << group); }
static void eoir_write(int vcpu, uint32_t lo, uint32_t hi, int group) {
  (void)hi;
  cpuif_eoi(vcpu, lo & 0xffffff, group);
}

static const sysreg_t ICC_IAR1 = { 0, 1, iar_read, NULL };
static const sysreg_t ICC_EOIR1 = { 0, 1, NULL, eoir_write };
static const sysreg_t *sysreg_table[0x10000];

static inline int sysreg_key(int op0, int op1, int crn, int crm, int op2) {
  return ((op0 & 3) << 14) | ((op1 & 7) << 11) | ((crn & 15) << 7) | ((crm & 15) << 3) | (op2 & 7);
}

/* Before a guest access: enter if outside; exit and re-enter if kicked or after maintenance. */
static inline void prepare_guest(int vcpu) {
  if (run_state[vcpu] != VCPU_RUNNING) {
    flush_lr_state(vcpu);
  } else if (kick[vcpu] != 0 || maint[vcpu] != 0) {
    sync_hw_state(vcpu);
    flush_lr_state(vcpu);
  }
}

static uint32_t sysreg_access(int vcpu, const sysreg_t *r, int write, uint32_t lo, uint32_t hi) {
  if (r->traps) {
    if (run_state[vcpu] == VCPU_RUNNING) sync_hw_state(vcpu);
  } else {
    prepare_guest(vcpu);
  }
  uint32_t value = 0;
  if (write) {
    if (r->write != NULL) r->write(vcpu, lo, hi, r->group);
  } else if (r->read != NULL) {
    value = r->read(vcpu, r->group);
  }
  if (r->traps) flush_lr_state(vcpu);
  return value;
}

static NOINLINE uint32_t api_sysreg_read32(int vcpu, int key) {
  check_vcpu(vcpu);
  const sysreg_t *r = (unsigned)key < 0x10000 ? sysreg_table[key] : NULL;
  if (r == NULL) return 0;
  return sysreg_access(vcpu, r, 0, 0, 0);
}

static NOINLINE int api_sysreg_write_words(int vcpu, int key, uint32_t lo, uint32_t hi) {
  check_vcpu(vcpu);
  const sysreg_t *r = (unsigned)key < 0x10000 ? sysreg_table[key] : NULL;
  if (r == NULL) return 0;
  sysreg_access(vcpu, r, 1, lo, hi);
  return 1;
}

/* ------------------------------------------------------------ machine set-up */

static void reset_machine(void) {
  for (int s = 0; s < SLOTS + VCPUS; s++) {
    lock_words[s] = 0;
    next_slot[s] = prev_slot[s] = s >= SLOTS ? s : NONE;
  }
  for (int s = 0; s < SLOTS; s++) {
    owner[s] = NONE;
    in_lr[s] = NONE;
    intid_of[s] = s < VCPUS * 32 ? (uint32_t)(s % 32) : (uint32_t)(s - VCPUS * 32 + 32);
    target[s] = s < VCPUS * 32 ? s / 32 : 0;
    group_of[s] = 1;
    config[s] = intid_of[s] < 16 || intid_of[s] >= 32 ? CONFIG_EDGE : CONFIG_LEVEL;
    enabled[s] = intid_of[s] < 16;
    priority_of[s] = 0;
    pending_latch[s] = line_level[s] = active[s] = hw[s] = flags[s] = 0;
    host_intid[s] = 0;
  }
  for (int k = 0; k < VCPUS; k++) {
    /* What the guest's bring-up writes: PMR 0xff (reads 0xf8), the smallest
     * binary points, EOImode 0, Group 1 enabled. */
    pmr[k] = 0xf8;
    bpr0[k] = 2;
    bpr1[k] = 3;
    cbpr[k] = 0;
    eoi_mode[k] = 0;
    grp_en0[k] = 0;
    grp_en1[k] = 1;
    run_state[k] = VCPU_OUTSIDE;
  }
  dist_enable = 3;
  sysreg_table[sysreg_key(3, 0, 12, 12, 0)] = &ICC_IAR1;
  sysreg_table[sysreg_key(3, 0, 12, 12, 1)] = &ICC_EOIR1;
}

static void configure_spi(int intid, int prio) {
  int s = VCPUS * 32 + intid - 32;
  group_of[s] = 1;
  priority_of[s] = (uint8_t)(prio & 0xf8);
  config[s] = CONFIG_EDGE;
  target[s] = 0;
  enabled[s] = 1;
}

/* ------------------------------------------------------------ workloads and timing */

static const int IAR1 = (3 << 14) | (0 << 11) | (12 << 7) | (12 << 3) | 0;
static const int EOIR1 = (3 << 14) | (0 << 11) | (12 << 7) | (12 << 3) | 1;

static long roundtrip(long n) {
  long ok = 0;
  for (long i = 0; i < n; i++) {
    api_inject(32, 1);
    api_enter(0);
    uint32_t id = api_sysreg_read32(0, IAR1);
    api_sysreg_write_words(0, EOIR1, id, 0);
    api_exit(0);
    ok += id == 32;
  }
  return ok;
}

enum { BURST = 16, BURST_SUM = BURST * (32 + 32 + BURST - 1) / 2 };

static long burst(long n) {
  long ok = 0;
  for (long i = 0; i < n; i++) {
    for (int k = 0; k < BURST; k++) api_inject(32 + k, 1);
    int acks = 0, sum = 0;
    do {
      api_enter(0);
      for (;;) {
        uint32_t id = api_sysreg_read32(0, IAR1);
        if (id == SPURIOUS) break;
        api_sysreg_write_words(0, EOIR1, id, 0);
        acks++;
        sum += (int)id;
      }
      api_exit(0);
    } while (api_has_pending(0));
    ok += acks == BURST && sum == BURST_SUM;
  }
  return ok;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

enum { SAMPLES = 15 };

/* The median of SAMPLES timed runs of `ops` operations, in ns per operation.
 * Every operation's outcome is checked: a wrong answer stops the run. */
static double measure(const char *name, long (*fn)(long), long ops) {
  double per_op[SAMPLES];
  if (fn(ops / 10 + 1) != ops / 10 + 1) goto wrong; /* warm-up */
  for (int i = 0; i < SAMPLES; i++) {
    double t0 = now_ns();
    long ok = fn(ops);
    double t1 = now_ns();
    if (ok != ops) goto wrong;
    per_op[i] = (t1 - t0) / (double)ops;
  }
  qsort(per_op, SAMPLES, sizeof per_op[0], by_value);
  return per_op[SAMPLES / 2];
wrong:
  fprintf(stderr, "%s: an operation had the wrong outcome\n", name);
  exit(1);
}

int main(int argc, char **argv) {
  long ops = argc > 1 ? atol(argv[1]) : 200000;
  if (ops < 1) {
    fprintf(stderr, "usage: %s [OPS]\n", argv[0]);
    return 2;
  }
#ifdef FLOOR_ATOMIC
  shared_state = 1;
#endif
  reset_machine();
  configure_spi(32, 0xa0);
  printf("%s spi-roundtrip %.2f\n", MODE, measure("spi-roundtrip", roundtrip, ops));

  reset_machine();
  for (int k = 0; k < BURST; k++) configure_spi(32 + k, 0x80 - 8 * k);
  printf("%s burst16 %.2f\n", MODE, measure("burst16", burst, ops / 16 + 1));
  return 0;
}
