// The client side of a CRI streaming Exec, as kubectl exec reaches it through the API server
// and kubelet: the URL that RuntimeService.Exec returns is served by containerd's streaming
// server, which speaks the Kubernetes remotecommand protocol over WebSocket. With subprotocol
// v4.channel.k8s.io every binary message starts with its channel: 0 stdin, 1 stdout,
// 2 stderr, 3 error (a JSON metav1.Status that carries the exit code), 4 resize.
import WebSocket from 'ws';

export interface StreamResult {
  stdout: string;
  stderr: string;
  /** From the status on the error channel: 0 on Success, else the ExitCode cause. */
  code: number;
  status: any;
}

const STDOUT = 1, STDERR = 2, ERROR = 3;

/** Connects to an Exec URL (an Exec without stdin) and collects the output and exit code. */
export function streamExec(url: string, timeoutMs = 30_000): Promise<StreamResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
    const out: Buffer[] = [], err: Buffer[] = [];
    let status: any;
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`streaming exec: no end within ${timeoutMs} ms`)); }, timeoutMs);
    ws.on('open', () => {
      if (ws.protocol !== 'v4.channel.k8s.io') reject(new Error(`streaming exec: server chose protocol "${ws.protocol}"`));
    });
    ws.on('message', (data: Buffer) => {
      if (data.length === 0) return;
      const payload = data.subarray(1);
      if (data[0] === STDOUT) out.push(payload);
      else if (data[0] === STDERR) err.push(payload);
      else if (data[0] === ERROR && payload.length) status = JSON.parse(payload.toString());
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
    ws.on('close', () => {
      clearTimeout(timer);
      const cause = status?.details?.causes?.find((c: any) => c.reason === 'ExitCode');
      const code = status?.status === 'Success' ? 0 : cause ? Number(cause.message) : -1;
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), code, status });
    });
  });
}
