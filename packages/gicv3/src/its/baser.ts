/**
 * GITS_BASER<n> and GITS_CBASER as KVM keeps them (vgic-its.c:
 * vgic_mmio_write_its_baser, vgic_sanitise_its_baser,
 * vgic_sanitise_its_cbaser) and the table addressing they define
 * (vgic_its_check_id).
 *
 * KVM has two tables: BASER0 a Device table (type 1), BASER1 a Collection
 * table (type 4), both with 8-byte entries (ITS table ABI revision 0);
 * BASER2..7 read as 0 and ignore writes. The Type and Entry_Size fields are
 * read-only; the collection table is always flat (Indirect reads 0); the
 * page size is always 64 KiB (KVM supports only that one), so bits 15:12
 * hold PA bits 51:48. Shareability and cacheability are sanitised as for
 * the redistributor's tables: Outer Shareable becomes Inner Shareable, an
 * inner non-cacheable mapping becomes Read-allocate Write-back, an outer
 * attribute other than Non-cacheable becomes Same as Inner.
 */
import { read64, type ItsMemory, type Pair } from './memory.js';

export const BASER_TYPE_DEVICE = 1n;
export const BASER_TYPE_COLLECTION = 4n;
/** Bytes of a table entry (ABI revision 0: DTE, CTE and ITE are 8 bytes). */
export const ENTRY_BYTES = 8;

export const BASER_VALID: bigint = 1n << 63n;
export const BASER_INDIRECT: bigint = 1n << 62n;
const INNER_SHIFT = 59n;
const TYPE_SHIFT = 56n;
const OUTER_SHIFT = 53n;
const ENTRY_SIZE_SHIFT = 48n;
const SHAREABILITY_SHIFT = 10n;
const PAGE_SIZE_SHIFT = 8n;
const PAGE_SIZE_64K = 2n;
const RO_MASK = (0x1fn << ENTRY_SIZE_SHIFT) | (7n << TYPE_SHIFT);

const CACHE_NC = 1n;
const CACHE_RAWB = 3n;
const CACHE_SAME_AS_INNER = 0n;
const INNER_SHAREABLE = 1n;
const OUTER_SHAREABLE = 2n;

const field = (reg: bigint, shift: bigint, mask: bigint): bigint => (reg >> shift) & mask;
const put = (reg: bigint, shift: bigint, mask: bigint, v: bigint): bigint => (reg & ~(mask << shift)) | (v << shift);

/** Shareability and cacheability, as vgic_sanitise_{shareability,inner_cacheability,outer_cacheability}. */
function sanitiseAttributes(reg: bigint): bigint {
  if (field(reg, SHAREABILITY_SHIFT, 3n) === OUTER_SHAREABLE) reg = put(reg, SHAREABILITY_SHIFT, 3n, INNER_SHAREABLE);
  const inner = field(reg, INNER_SHIFT, 7n);
  if (inner === 0n || inner === CACHE_NC) reg = put(reg, INNER_SHIFT, 7n, CACHE_RAWB);
  const outer = field(reg, OUTER_SHIFT, 7n);
  if (outer !== CACHE_SAME_AS_INNER && outer !== CACHE_NC) reg = put(reg, OUTER_SHIFT, 7n, CACHE_SAME_AS_INNER);
  return reg;
}

/** The value GITS_BASER<n> (n = 0, 1) holds at reset (KVM: INITIAL_BASER_VALUE with its type and entry size). */
export function baserReset(n: 0 | 1): bigint {
  const type = n === 0 ? BASER_TYPE_DEVICE : BASER_TYPE_COLLECTION;
  return (
    (CACHE_RAWB << INNER_SHIFT) |
    (CACHE_SAME_AS_INNER << OUTER_SHIFT) |
    (INNER_SHAREABLE << SHAREABILITY_SHIFT) |
    (PAGE_SIZE_64K << PAGE_SIZE_SHIFT) |
    (type << TYPE_SHIFT) |
    (BigInt(ENTRY_BYTES - 1) << ENTRY_SIZE_SHIFT)
  );
}

/** What GITS_BASER<n> (n = 0, 1) holds after the guest writes `value` (the whole new 64-bit value). */
export function baserSanitise(n: 0 | 1, value: bigint): bigint {
  let reg = value & ~RO_MASK;
  if (n === 1) reg &= ~BASER_INDIRECT;
  const type = n === 0 ? BASER_TYPE_DEVICE : BASER_TYPE_COLLECTION;
  reg |= (BigInt(ENTRY_BYTES - 1) << ENTRY_SIZE_SHIFT) | (type << TYPE_SHIFT);
  reg = sanitiseAttributes(reg);
  return put(reg, PAGE_SIZE_SHIFT, 3n, PAGE_SIZE_64K);
}

/** What GITS_CBASER holds after the guest writes `value`: attributes sanitised, the address 64 KiB aligned (bits 15:12 cleared), as KVM. */
export function cbaserSanitise(value: bigint): bigint {
  return sanitiseAttributes(value) & ~(0xfn << 12n);
}

/** The command queue's base (CBASER bits 51:12). */
export function cbaserAddress(cbaser: bigint): number {
  return Number(cbaser & 0x000f_ffff_ffff_f000n);
}

/** The command queue's size in bytes: (Size + 1) 4 KiB pages. */
export function cbaserBytes(cbaser: bigint): number {
  return (Number(cbaser & 0xffn) + 1) * 0x1000;
}

/** A 64 KiB-page table's base: bits 47:16, with PA bits 51:48 from bits 15:12 (GITS_BASER_ADDR_48_to_52). */
export function baserAddress(baser: bigint): number {
  return Number((baser & 0x0000_ffff_ffff_0000n) | ((baser & 0xf000n) << 36n));
}

/** The table's size in bytes: (Size + 1) 64 KiB pages. */
export function baserBytes(baser: bigint): number {
  return (Number(baser & 0xffn) + 1) * 0x10000;
}

const L2_TABLE_BYTES = 0x10000;
const ID_LIMIT = 0x1_0000;
const l1Entry: Pair = [0, 0];

/**
 * The guest physical address of entry `id` of the table `baser` describes,
 * or -1 when the table cannot hold it (vgic_its_check_id): an id of 16 bits
 * or more (Devbits 16; CIL = 0, so 16-bit collection IDs), an id past a
 * flat table's end, or for a two-level table a level-1 index past its
 * end, a level-1 entry that cannot be read or is not valid — and in every
 * case an entry address outside guest memory (KVM: kvm_is_visible_gfn).
 * The Valid bit of BASER itself is not looked at, as in KVM.
 */
export function tableEntryAddress(mem: ItsMemory, baser: bigint, id: number): number {
  const type = field(baser, TYPE_SHIFT, 7n);
  if (type !== BASER_TYPE_DEVICE && type !== BASER_TYPE_COLLECTION) return -1;
  if (id >= ID_LIMIT) return -1;
  const esz = Number(field(baser, ENTRY_SIZE_SHIFT, 0x1fn)) + 1;
  const base = baserAddress(baser);
  const l1Bytes = baserBytes(baser);
  let addr: number;
  if ((baser & BASER_INDIRECT) === 0n) {
    if (id >= Math.floor(l1Bytes / esz)) return -1;
    addr = base + id * esz;
  } else {
    const perPage = Math.floor(L2_TABLE_BYTES / esz);
    const index = Math.floor(id / perPage);
    if (index >= l1Bytes / 8) return -1;
    if (!read64(mem, base + index * 8, l1Entry)) return -1;
    if ((l1Entry[1] & 0x8000_0000) === 0) return -1;
    // Level-1 entry bits 51:16: the level-2 page.
    const page = (l1Entry[1] & 0xf_ffff) * 0x1_0000_0000 + ((l1Entry[0] & 0xffff_0000) >>> 0);
    addr = page + (id % perPage) * esz;
  }
  return mem.read32(addr - (addr % 4)) < 0 ? -1 : addr;
}
