// Placeholder: NetLoop, the loop's networking methods over a NetBackend (README.md here).
import { BaseLoop } from '../base-loop.js';

export abstract class NetLoop extends BaseLoop {}
