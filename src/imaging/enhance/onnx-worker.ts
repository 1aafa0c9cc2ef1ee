// Runs in a worker thread: onnxruntime's `session.run` blocks its thread for the whole inference (about a
// second for ISNet), which on the main thread would stall every request.
import { parentPort, workerData } from 'node:worker_threads';
import type { OnnxJob, OnnxReply, OnnxWorkerData } from './onnx-messages.ts';

type Ort = typeof import('onnxruntime-node');
interface LoadedModel {
  readonly ort: Ort;
  readonly session: import('onnxruntime-node').InferenceSession;
  readonly inputName: string;
  readonly outputName: string;
}

/** `load`: the model cannot serve at all (runtime, file, profile); `run`: this image failed. */
class ModelProblem extends Error {
  constructor(
    message: string,
    readonly detail: string,
    readonly stage: 'load' | 'run' = 'run',
  ) {
    super(message);
  }
}

const { modelPath, threads, profile } = workerData as OnnxWorkerData;
const { input: inputSpec, output: outputSpec } = profile;
let model: Promise<LoadedModel> | null = null;

async function loadModel(): Promise<LoadedModel> {
  let ort: Ort;
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    throw new ModelProblem(
      'the onnx provider needs onnxruntime-node, which is not installed or cannot load on this machine',
      describe(error),
      'load',
    );
  }
  let loaded: LoadedModel;
  try {
    const session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    // Some exports (ISNet's among them) carry side outputs: fetch only the final one.
    const outputName = session.outputNames.includes(outputSpec.preferredName)
      ? outputSpec.preferredName
      : session.outputNames[0];
    const inputName = session.inputNames.includes(inputSpec.name) ? inputSpec.name : session.inputNames[0];
    if (!inputName || !outputName) throw new Error('model has no input or no output');
    loaded = { ort, session, inputName, outputName };
  } catch (error) {
    throw new ModelProblem(
      'the segmentation model could not be loaded',
      `${modelPath}: ${describe(error)}`,
      'load',
    );
  }
  const mismatch = inputMismatch(loaded);
  if (mismatch) {
    await loaded.session.release().catch(() => {});
    throw new ModelProblem(
      `the segmentation model is not ${profile.label}-compatible (${mismatch})`,
      `${modelPath}: input ${loaded.inputName}`,
      'load',
    );
  }
  return loaded;
}

/**
 * A model made for another profile (a U²-Net file with the ISNet profile, say) fails here, with a message that
 * names the shapes, instead of on every image. Symbolic dimensions (a dynamic batch or size) are accepted.
 */
function inputMismatch({ session, inputName }: LoadedModel): string | null {
  const meta = session.inputMetadata.find((m) => m.name === inputName);
  if (!meta?.isTensor) return null;
  const wanted = [1, 3, inputSpec.height, inputSpec.width];
  if (meta.type !== 'float32') return `its input is ${meta.type}, the profile feeds float32`;
  if (meta.shape.length === 0) return null; // the model does not declare a shape: session.run will tell
  const sameRank = meta.shape.length === wanted.length;
  if (sameRank && meta.shape.every((d, i) => typeof d !== 'number' || d === wanted[i])) return null;
  return `its input is ${meta.shape.join('×')}, the profile feeds ${wanted.join('×')}`;
}

async function segment(job: OnnxJob): Promise<OnnxReply> {
  const sessionLoaded = model === null;
  model ??= loadModel();
  let loaded: LoadedModel;
  try {
    loaded = await model;
  } catch (error) {
    model = null; // the operator may fix the file; the next item tries again
    throw error;
  }
  if (job.pixels === null) return { id: job.id, ok: true, mask: new Float32Array(0), sessionLoaded };
  const { ort, session, inputName, outputName } = loaded;
  const input = new ort.Tensor('float32', job.pixels, [1, 3, inputSpec.height, inputSpec.width]);
  let output: import('onnxruntime-node').Tensor | undefined;
  try {
    output = (await session.run({ [inputName]: input }, [outputName]))[outputName];
  } catch (error) {
    throw new ModelProblem('the segmentation model failed on this image', describe(error));
  }
  if (output?.type !== 'float32' || output.size !== outputSpec.width * outputSpec.height) {
    const shape = output ? `${output.type} [${output.dims.join(',')}]` : 'nothing';
    throw new ModelProblem(
      `the segmentation model is not ${profile.label}-compatible (its output is not a ${outputSpec.width}×${outputSpec.height} mask)`,
      `output ${outputName}: ${shape}`,
    );
  }
  // A copy the parent can own: the tensor's memory may belong to onnxruntime.
  const mask = new Float32Array(output.data as Float32Array);
  return { id: job.id, ok: true, mask, sessionLoaded };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const port = parentPort;
if (!port) throw new Error('onnx-worker.ts runs only as a worker thread');
port.on('message', (job: OnnxJob) => {
  segment(job).then(
    (reply) => port.postMessage(reply, reply.ok ? [reply.mask.buffer as ArrayBuffer] : []),
    (error: unknown) => {
      const reply: OnnxReply =
        error instanceof ModelProblem
          ? { id: job.id, ok: false, message: error.message, detail: error.detail, stage: error.stage }
          : {
              id: job.id,
              ok: false,
              message: 'the segmentation model failed',
              detail: describe(error),
              stage: 'run',
            };
      port.postMessage(reply);
    },
  );
});
