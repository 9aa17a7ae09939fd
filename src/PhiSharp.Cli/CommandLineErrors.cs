using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using PhiSharp.Cli.Commands;
using PhiSharp.Cli.Commands.Models;

namespace PhiSharp.Cli;

/// <summary>
/// Reports a command line that does not parse as one line per fault, in words. System.CommandLine's own messages name
/// .NET types ("as expected type 'System.Nullable`1[System.UInt64]'") and answer an unknown command with "Required
/// command was not provided"; this is the one place every command's parse errors pass through.
/// </summary>
static class CommandLineErrors
{
    /// <summary>True when the parse failed (not when --help or --version was asked, which clears the errors).</summary>
    public static bool Failed(ParseResult parse) => parse.Action is ParseErrorAction;

    /// <summary>Writes the errors to stderr and returns the exit code, 1.</summary>
    public static int Report(ParseResult parse)
    {
        foreach (var message in Describe(parse).Distinct()) Console.Error.WriteLine($"error: {message}");
        // A first try such as bare `phi run` fails on its other options; it also learns where a model comes from.
        var command = parse.CommandResult.Command;
        if (command.Options.Contains(ModelArguments.Model) && parse.GetResult(ModelArguments.Model) is null)
            Console.Error.WriteLine($"error: {ModelLocator.NoModelMessage()}");
        else if (parse.CommandResult.Parent is null && parse.UnmatchedTokens.Count == 0 && ModelLocator.FirstStepsHint() is { } hint)
            Console.Error.WriteLine(hint);
        return 1;
    }

    static IEnumerable<string> Describe(ParseResult parse)
    {
        var command = parse.CommandResult;
        string path = CommandPath(command);
        // Unmatched tokens explain the other errors (a misspelled command also leaves "no command given").
        if (parse.UnmatchedTokens.Count > 0)
        {
            foreach (var token in parse.UnmatchedTokens)
                yield return token.StartsWith('-') ? $"'{token}' is not an option of {path}; see {path} --help"
                    : command.Command.Subcommands.Count > 0 ? $"'{token}' is not a {path} command; see {path} --help"
                    : $"unexpected argument '{token}'; see {path} --help";
            yield break;
        }
        foreach (var error in parse.Errors)
            yield return error.SymbolResult switch
            {
                OptionResult option when Unconvertible(option.Option.ValueType, option.Tokens) is { } expected =>
                    $"{option.Option.Name} takes {expected}, not '{option.Tokens[0].Value}'",
                ArgumentResult argument when Unconvertible(argument.Argument.ValueType, argument.Tokens) is { } expected =>
                    $"<{argument.Argument.Name}> takes {expected}, not '{argument.Tokens[0].Value}'",
                CommandResult when command.Command.Subcommands.Count > 0 && command.Command.Action is null =>
                    $"give a command; see {path} --help",
                _ => error.Message,
            };
    }

    /// <summary>What a value of a numeric type is, in words, when the given token is not one: then the error is the
    /// conversion's (range validators speak only of numbers).</summary>
    static string? Unconvertible(Type type, IReadOnlyList<Token> tokens)
    {
        if (tokens.Count != 1) return null;
        string token = tokens[0].Value;
        type = Nullable.GetUnderlyingType(type) ?? type;
        return type == typeof(int) && !int.TryParse(token, out _) ? $"a whole number up to {int.MaxValue}"
            : type == typeof(long) && !long.TryParse(token, out _) ? $"a whole number up to {long.MaxValue}"
            : type == typeof(ulong) && !ulong.TryParse(token, out _) ? $"a whole number from 0 to {ulong.MaxValue}"
            : type == typeof(float) && !float.TryParse(token, out _) ? "a number"
            : type == typeof(double) && !double.TryParse(token, out _) ? "a number"
            : null;
    }

    static string CommandPath(CommandResult command) =>
        command.Parent is CommandResult parent ? $"{CommandPath(parent)} {command.Command.Name}" : command.Command.Name;
}
