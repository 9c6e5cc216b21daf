export const placeholder = true;
console.log("usage: vgic run <dir>");
