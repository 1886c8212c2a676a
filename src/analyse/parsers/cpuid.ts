// Pure: CPUID hypervisor leaves (0x40000000...) from `cpuid -1 -r`, from the cpuid-signature
// item's dd fallback (same format), from `cpuid -1` ("hypervisor_id (0x40000000) = ...")
// or from x86info -a ("eax in: 0x40000000, eax = ... ebx = ...").
import { bySignature } from '../hypervisors.js';

export interface CpuidLeaf {
  leaf: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
  line: number;
  text: string;
}

export interface HypervisorSignature {
  leaf: number;
  signature: string;
  line: number;
  text: string;
}

function regsToSignature(ebx: number, ecx: number, edx: number): string {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(ebx >>> 0, 0);
  b.writeUInt32LE(ecx >>> 0, 4);
  b.writeUInt32LE(edx >>> 0, 8);
  return b.toString('latin1');
}

export function parseCpuidLeaves(text: string): CpuidLeaf[] {
  const out: CpuidLeaf[] = [];
  text.split('\n').forEach((raw, index) => {
    const raw1 = /^\s*(0x[0-9a-f]+)\s+0x[0-9a-f]+:\s+eax=(0x[0-9a-f]+)\s+ebx=(0x[0-9a-f]+)\s+ecx=(0x[0-9a-f]+)\s+edx=(0x[0-9a-f]+)/i.exec(raw);
    const x86info = /eax in:\s*(0x[0-9a-f]+),\s*eax\s*=\s*([0-9a-f]+)\s+ebx\s*=\s*([0-9a-f]+)\s+ecx\s*=\s*([0-9a-f]+)\s+edx\s*=\s*([0-9a-f]+)/i.exec(raw);
    const m = raw1 ?? x86info;
    if (!m) return;
    const hex = (s: string) => parseInt(s.replace(/^0x/i, ''), 16);
    out.push({ leaf: hex(m[1]), eax: hex(m[2]), ebx: hex(m[3]), ecx: hex(m[4]), edx: hex(m[5]), line: index + 1, text: raw.trim() });
  });
  return out;
}

function unescapeCpuidString(s: string): string {
  // cpuid prints NULs and other bytes as \0 or \ooo octal escapes.
  return s.replace(/\\([0-7]{1,3})/g, (_m, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function hypervisorSignatures(text: string): HypervisorSignature[] {
  const out: HypervisorSignature[] = [];
  for (const leaf of parseCpuidLeaves(text)) {
    if (leaf.leaf === 0x40000000 || leaf.leaf === 0x40000100) {
      out.push({ leaf: leaf.leaf, signature: regsToSignature(leaf.ebx, leaf.ecx, leaf.edx), line: leaf.line, text: leaf.text });
    }
  }
  text.split('\n').forEach((raw, index) => {
    const m = /hypervisor_id\s*\((0x[0-9a-f]+)\)\s*=\s*"(.*)"\s*$/i.exec(raw);
    if (m && !out.some((s) => s.leaf === parseInt(m[1], 16))) {
      out.push({ leaf: parseInt(m[1], 16), signature: unescapeCpuidString(m[2]).padEnd(12, '\0').slice(0, 12), line: index + 1, text: raw.trim() });
    }
  });
  return out.sort((a, b) => a.leaf - b.leaf);
}

/** Which hypervisor a signature names (the hypervisor table holds the signatures). */
export function signatureVendor(signature: string): { vendor: string; name: string } | undefined {
  const hit = bySignature(signature);
  return hit ? { vendor: hit.entry.id, name: hit.name } : undefined;
}

export function printableSignature(signature: string): string {
  return signature.replace(/\0/g, '\\0').replace(/[^\x20-\x7e\\]/g, '?');
}
