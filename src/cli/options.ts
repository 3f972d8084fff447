import { type Command, InvalidArgumentError, Option } from 'commander';
import { TOKEN_TYPES } from '../lib/types';

/** `--json` and `--verbose`, on every command so `graph-tokens <cmd> --help` lists them. */
export function withCommonOptions(command: Command): Command {
  return command
    .option('--json', 'print the same JSON the HTTP API returns (errors as problem details)')
    .option('--verbose', "write the service's structured log to stderr");
}

/** `--token-type <type>`; an unknown type is a usage error (exit 2) that names the option. */
export function tokenTypeOption(defaultValue?: string): Option {
  const option = new Option('--token-type <type>', 'token type').choices([...TOKEN_TYPES]);
  return defaultValue === undefined ? option : option.default(defaultValue);
}

/** Repeatable `--id <id>`. */
export function idOption(what: string): Option {
  return new Option('--id <id>', `${what} only this token id (repeatable)`).argParser(collect);
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError('Not a whole number.');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`Must be from ${min} to ${max}.`);
    return n;
  };
}
