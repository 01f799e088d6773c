/** The part of jexl's API Ferry uses (the package ships no types). */
declare module 'jexl' {
  /** A compiled expression. */
  export interface Expression {
    evalSync(context?: object): unknown;
    /** The parsed tree, checked before evaluation. */
    _getAst(): unknown;
  }
  /** A jexl instance with its own functions. */
  export class Jexl {
    addFunction(name: string, fn: (...args: never[]) => unknown): void;
    compile(expression: string): Expression;
  }
}
