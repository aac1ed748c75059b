/** Reads all of stdin (for secrets that should not appear in the process list). */
export async function readStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new Error('no value given: pass it as an option or pipe it on stdin');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
