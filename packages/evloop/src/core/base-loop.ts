// Placeholder: BaseLoop, what every loop does above its I/O (README.md here).
export abstract class BaseLoop {}
