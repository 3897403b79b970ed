/**
 * `true` when A and B are the same type: `true satisfies Same<A, B>` fails to compile when a
 * public interface and the zod schema it mirrors drift apart. The emulator's public types are
 * plain interfaces: zod's declarations do not compile in a program without `esModuleInterop`.
 */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
