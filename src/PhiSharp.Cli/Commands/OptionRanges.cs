using System.CommandLine;
using System.CommandLine.Parsing;

namespace PhiSharp.Cli.Commands;

/// <summary>Bounds on numeric options, checked while parsing so a bad value is one `error:` line before any model loads.</summary>
static class OptionRanges
{
    /// <param name="why">What the bound is, when the number alone does not say (e.g. "4 × the 8 logical cores").</param>
    public static Option<int> Between(this Option<int> option, int min, int max, string? why = null)
    {
        option.Validators.Add(result =>
        {
            if (Given(result) is not int value) return;
            if (value < min) result.AddError($"{option.Name} {value} is less than {min}");
            else if (value > max) result.AddError($"{option.Name} {value} is more than {max}{(why is null ? "" : $" ({why})")}");
        });
        return option;
    }

    /// <summary>The value given on the command line; null when there is none (defaults are in range) or it is not a
    /// number, which the parser reports itself (validators run on values that did not convert too).</summary>
    static int? Given(OptionResult result) => result.Tokens is [var token] && int.TryParse(token.Value, out int value) ? value : null;

    public static Option<int> AtLeast(this Option<int> option, int min) => option.Between(min, int.MaxValue);

    /// <summary>0 (every core) to 4 × the logical cores, as <see cref="LoadOptions.Threads"/> takes.</summary>
    public static Option<int> ThreadCount(this Option<int> option) =>
        option.Between(0, LoadOptions.MaxThreads, $"4 × the {Environment.ProcessorCount} logical cores");

    public static Option<int?> AtLeast(this Option<int?> option, int min, string? why = null)
    {
        option.Validators.Add(result =>
        {
            if (Given(result) is int value && value < min)
                result.AddError($"{option.Name} {value} is less than {min}{(why is null ? "" : $" ({why})")}");
        });
        return option;
    }
}
