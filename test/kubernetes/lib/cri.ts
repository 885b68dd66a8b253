// A CRI v1 client (what the kubelet is to containerd): the RuntimeService and ImageService of
// cri-api.proto over gRPC on containerd's unix socket, each call a promise. Field names are
// the proto's own (snake_case, keepCase), enums come back as their names, int64 as numbers.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';

const definition = protoLoader.loadSync(join(__dirname, 'cri-api.proto'), {
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
});
const runtimeV1 = (grpc.loadPackageDefinition(definition) as any).runtime.v1;

/** Every message is a plain object; the suite reads the fields it asserts on. */
type Msg = Record<string, any>;
type Unary = (req?: Msg, timeoutMs?: number) => Promise<Msg>;

const RUNTIME_CALLS = [
  'Version', 'Status', 'RunPodSandbox', 'StopPodSandbox', 'RemovePodSandbox', 'PodSandboxStatus',
  'ListPodSandbox', 'CreateContainer', 'StartContainer', 'StopContainer', 'RemoveContainer',
  'ListContainers', 'ContainerStatus', 'UpdateContainerResources', 'ExecSync', 'Exec',
  'ContainerStats', 'ListContainerStats',
] as const;
const IMAGE_CALLS = ['ListImages', 'ImageStatus'] as const;

export type CriClient = Record<(typeof RUNTIME_CALLS)[number] | (typeof IMAGE_CALLS)[number], Unary> & {
  /** Every call made so far, by name: the suite's closing note lists them. */
  called: Set<string>;
  close(): void;
};

function promisify(client: grpc.Client, name: string, called: Set<string>): Unary {
  const method = (client as any)[name].bind(client);
  return (req = {}, timeoutMs = 60_000) => new Promise((resolve, reject) => {
    called.add(name);
    method(req, { deadline: Date.now() + timeoutMs }, (err: grpc.ServiceError | null, res: Msg) => {
      if (err) reject(new Error(`CRI ${name}: ${err.details || err.message}`));
      else resolve(res);
    });
  });
}

/** endpoint: "unix:///path/to/containerd.sock". */
export function criClient(endpoint: string): CriClient {
  const creds = grpc.credentials.createInsecure();
  const runtime = new runtimeV1.RuntimeService(endpoint, creds) as grpc.Client;
  const images = new runtimeV1.ImageService(endpoint, creds) as grpc.Client;
  const called = new Set<string>();
  const c: Partial<CriClient> = { called, close: () => { runtime.close(); images.close(); } };
  for (const n of RUNTIME_CALLS) (c as any)[n] = promisify(runtime, n, called);
  for (const n of IMAGE_CALLS) (c as any)[n] = promisify(images, n, called);
  return c as CriClient;
}
