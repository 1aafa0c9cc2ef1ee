// The item worker depends on the pipeline's interface only; `imaging/enhance` implements it.
export type { Enhancer } from '../imaging/enhance/index.ts';
