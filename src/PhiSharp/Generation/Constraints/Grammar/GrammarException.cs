namespace PhiSharp.Generation.Constraints;

/// <summary>A grammar that cannot be used: a syntax error (with its line and column), an undefined or
/// left-recursive rule, or a grammar that can never finish.</summary>
public sealed class GrammarException(string message) : FormatException(message);
