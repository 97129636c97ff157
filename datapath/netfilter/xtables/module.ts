/**
 * The plug-in contract for xtables matches (`-m NAME ...`) and targets (`-j NAME ...`), as iptables'
 * extensions/libxt_*.c and the kernel's xt_*.c pair them: each module owns its option parser,
 * checker, printer (exactly as iptables-save prints it) and evaluator. Modules are listed in an
 * explicit registry (registry.ts), never registered by import side effect.
 */
import type { Skb } from '../../packet.js';
import type { XtContext } from './context.js';

/** One option as written on a rule line: `! --dport 80`, `--set-xmark 0x4000/0x4000`. */
export interface OptionArg {
  /** The option as written, with its dashes: `--dport`, `-s`. */
  flag: string;
  /** A `!` stood before the option (or, in the old style, before its value). */
  negated: boolean;
  /** The option's values, unquoted. */
  values: string[];
  /** 1-based line and column of the option in its source, for error messages. */
  line: number;
  col: number;
}

/** What a module may know of the rule it sits in (xt_mtchk_param's entryinfo/table/hook_mask). */
export interface RuleHeader {
  table: string;
  chain: string;
  /** IP protocol number from `-p`, 0 when absent; `protoNegated` when `! -p`. */
  proto: number;
  protoNegated: boolean;
}

export interface OptionSpec {
  /** Long name with dashes, e.g. `--dport`; aliases are accepted on input and printed as `name`. */
  name: string;
  aliases?: readonly string[];
  /** How many values follow the option (0 for a flag such as `--rsource`). */
  values: number;
  /** Whether `!` may precede it (iptables' XTOPT_INVERT). */
  invertible: boolean;
}

/** Thrown by a module's parse/check with the offending option; the loader adds file and position. */
export class ModuleOptionError extends Error {
  constructor(message: string, readonly option: OptionArg | null) {
    super(message);
  }
}

export interface MatchModule<D = unknown> {
  readonly name: string;
  readonly options: readonly OptionSpec[];
  /** The kernel's checkentry takes a reference on the namespace's conntrack (nf_ct_netns_get):
   *  while such a rule is loaded, conntrack's hooks are registered in its namespace. */
  readonly needsConntrack?: boolean;
  /** Builds the match's data from its options; throws ModuleOptionError on bad options. */
  parse(options: readonly OptionArg[], rule: RuleHeader): D;
  /** The options exactly as iptables-save prints them after `-m NAME ` (may be empty). */
  save(data: D): string;
  /** The match function always returns true (xt_comment): the indexed walk leaves it out. */
  readonly alwaysMatches?: boolean;
  /** The kernel's match function. Count any look-ups it makes in ctx.cost. Called as a plain
   *  function (the compiled walk keeps the functions apart from their modules). */
  match(this: void, data: D, skb: Skb, ctx: XtContext): boolean;
}

/** What a target returns (the kernel's XT_CONTINUE / NF_ACCEPT / NF_DROP / XT_RETURN / NF_STOLEN). */
export type TargetResult =
  | { kind: 'continue' }
  | { kind: 'accept' }
  | { kind: 'drop'; reason: string }
  | { kind: 'return' }
  | { kind: 'stolen'; reason: string };

export interface TargetModule<D = unknown> {
  readonly name: string;
  readonly options: readonly OptionSpec[];
  /** As MatchModule.needsConntrack: checkentry calls nf_ct_netns_get. */
  readonly needsConntrack?: boolean;
  /** Tables (and hooks) the target is allowed in, as its checkentry enforces; empty: anywhere. */
  readonly tables?: readonly string[];
  parse(options: readonly OptionArg[], rule: RuleHeader): D;
  /** The options exactly as iptables-save prints them after `-j NAME ` (may be empty). */
  save(data: D): string;
  run(data: D, skb: Skb, ctx: XtContext): TargetResult;
}
