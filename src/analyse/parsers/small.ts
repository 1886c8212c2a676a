// Kept only for an importer that moves to kvm-userspace.ts with its next change.
export { parseKvmFds } from './kvm-userspace.js';
