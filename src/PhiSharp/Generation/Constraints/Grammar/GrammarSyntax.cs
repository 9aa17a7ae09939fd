namespace PhiSharp.Generation.Constraints;

/// <summary>The parsed form of a grammar's text, before it is lowered to bytes.</summary>
internal abstract record GrammarNode;

internal sealed record AlternativesNode(List<List<GrammarNode>> Alternatives) : GrammarNode;

/// <summary>A string literal, as the UTF-8 bytes it must match.</summary>
internal sealed record LiteralNode(byte[] Bytes) : GrammarNode;

/// <summary>A character class: inclusive code point ranges, or every character outside them.</summary>
internal sealed record CharClassNode(List<(int First, int Last)> Ranges, bool Negated) : GrammarNode;

internal sealed record RuleRefNode(string Name, int Line, int Column) : GrammarNode;

/// <summary>Item repeated Min to Max times; Max null is unbounded.</summary>
internal sealed record RepeatNode(GrammarNode Item, int Min, int? Max) : GrammarNode;

internal sealed record RuleDefinition(string Name, AlternativesNode Body, int Line, int Column);
