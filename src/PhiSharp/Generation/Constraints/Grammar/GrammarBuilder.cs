namespace PhiSharp.Generation.Constraints;

/// <summary>
/// Lowers parsed rules to the flat element arrays of <see cref="Grammar"/>: literals become one byte set per byte,
/// character classes their UTF-8 byte-range sequences, groups and repetitions helper rules (x* as a right-recursive
/// rule, which the matcher runs as a loop because a reference at the end of an alternative keeps no return frame).
/// </summary>
internal sealed class GrammarBuilder
{
    public readonly List<Grammar.Kind> Kinds = [];
    public readonly List<int> Args = [];
    public readonly List<ulong> ByteSets = [];
    public readonly List<List<int>> Alternatives = [];
    public readonly List<string> Names = [];
    public int Root;

    readonly Dictionary<string, int> _ruleIds = new(StringComparer.Ordinal);
    readonly Dictionary<(ulong, ulong, ulong, ulong), int> _setIds = [];
    readonly List<RuleRefNode> _references = [];

    // A symbol of a lowered sequence: a byte set (IsRule false) or a rule.
    readonly record struct Symbol(bool IsRule, int Id);

    public static GrammarBuilder Build(List<RuleDefinition> rules, string root)
    {
        var b = new GrammarBuilder();
        foreach (var rule in rules)
        {
            if (b._ruleIds.ContainsKey(rule.Name))
                throw new GrammarException($"Grammar error at line {rule.Line}, column {rule.Column}: the rule '{rule.Name}' is defined twice.");
            b.NewRule(rule.Name);
        }
        foreach (var rule in rules)
            b.Define(b._ruleIds[rule.Name], rule.Body, rule.Name);
        foreach (var reference in b._references)
            if (!b._ruleIds.ContainsKey(reference.Name))
                throw new GrammarException($"Grammar error at line {reference.Line}, column {reference.Column}: the rule '{reference.Name}' is not defined.");
        if (!b._ruleIds.TryGetValue(root, out b.Root))
            throw new GrammarException($"The grammar has no rule '{root}' to start from.");
        return b;
    }

    int NewRule(string name)
    {
        int id = Alternatives.Count;
        Alternatives.Add([]);
        Names.Add(name);
        _ruleIds[name] = id;
        return id;
    }

    int _helpers;
    int NewHelper(string owner) => NewRule($"{owner}-{++_helpers}");

    void Define(int rule, AlternativesNode body, string owner)
    {
        // Lower every alternative first: lowering creates helper rules, whose elements must not interleave ours.
        var lowered = body.Alternatives.Select(seq => seq.SelectMany(item => Lower(item, owner)).ToList()).ToList();
        foreach (var symbols in lowered) AddAlternative(rule, symbols);
    }

    void AddAlternative(int rule, List<Symbol> symbols)
    {
        Alternatives[rule].Add(Kinds.Count);
        foreach (var s in symbols)
        {
            Kinds.Add(s.IsRule ? Grammar.Kind.Rule : Grammar.Kind.Bytes);
            Args.Add(s.Id);
        }
        Kinds.Add(Grammar.Kind.End);
        Args.Add(0);
    }

    List<Symbol> Lower(GrammarNode node, string owner)
    {
        switch (node)
        {
            case LiteralNode literal:
                return [.. literal.Bytes.Select(b => new Symbol(false, Set(b, b)))];
            case CharClassNode cls:
                return [CharClass(cls, owner)];
            case RuleRefNode reference:
                _references.Add(reference);
                return [new Symbol(true, _ruleIds.TryGetValue(reference.Name, out int id) ? id : -1)];
            case AlternativesNode group:
            {
                int rule = NewHelper(owner);
                Define(rule, group, owner);
                return [new Symbol(true, rule)];
            }
            case RepeatNode repeat:
                return Repeat(repeat, owner);
            default:
                throw new InvalidOperationException($"unknown grammar node {node.GetType().Name}");
        }
    }

    /// <summary>x{m,n} → x … x (m times) then n−m nested optionals; x{m,} → x … x then a loop rule.</summary>
    List<Symbol> Repeat(RepeatNode repeat, string owner)
    {
        var item = Lower(repeat.Item, owner);
        Symbol one = item.Count == 1 ? item[0] : Wrap(item, owner);
        var result = Enumerable.Repeat(one, repeat.Min).ToList();
        if (repeat.Max is not int max)
        {
            int loop = NewHelper(owner);
            AddAlternative(loop, [one, new Symbol(true, loop)]);
            AddAlternative(loop, []);
            result.Add(new Symbol(true, loop));
            return result;
        }
        int optional = -1;
        for (int i = repeat.Min; i < max; i++)
        {
            int rule = NewHelper(owner);
            AddAlternative(rule, optional < 0 ? [one] : [one, new Symbol(true, optional)]);
            AddAlternative(rule, []);
            optional = rule;
        }
        if (optional >= 0) result.Add(new Symbol(true, optional));
        return result;
    }

    Symbol Wrap(List<Symbol> sequence, string owner)
    {
        int rule = NewHelper(owner);
        AddAlternative(rule, sequence);
        return new Symbol(true, rule);
    }

    /// <summary>One byte set when every character is ASCII; otherwise a helper rule with one alternative per UTF-8
    /// byte-range sequence (single bytes merged into one set).</summary>
    Symbol CharClass(CharClassNode cls, string owner)
    {
        var ranges = Normalize(cls.Ranges);
        if (cls.Negated) ranges = Complement(ranges);
        var sequences = new List<(byte First, byte Last)[]>();
        foreach (var (first, last) in ranges) Utf8Ranges.Add(first, last, sequences);
        var single = new ulong[4];
        var multi = new List<List<Symbol>>();
        foreach (var seq in sequences)
        {
            if (seq.Length == 1)
            {
                for (int b = seq[0].First; b <= seq[0].Last; b++) single[b >> 6] |= 1UL << (b & 63);
                continue;
            }
            multi.Add([.. seq.Select(r => new Symbol(false, Set(r.First, r.Last)))]);
        }
        if (multi.Count == 0) return new Symbol(false, Set(single));
        int rule = NewHelper(owner);
        if (single.Any(w => w != 0)) AddAlternative(rule, [new Symbol(false, Set(single))]);
        foreach (var seq in multi) AddAlternative(rule, seq);
        return new Symbol(true, rule);
    }

    static List<(int First, int Last)> Normalize(List<(int First, int Last)> ranges)
    {
        var sorted = ranges.OrderBy(r => r.First).ToList();
        var merged = new List<(int First, int Last)>();
        foreach (var r in sorted)
        {
            if (merged.Count > 0 && r.First <= merged[^1].Last + 1)
                merged[^1] = (merged[^1].First, Math.Max(merged[^1].Last, r.Last));
            else merged.Add(r);
        }
        return merged;
    }

    static List<(int First, int Last)> Complement(List<(int First, int Last)> ranges)
    {
        var result = new List<(int, int)>();
        int next = 0;
        foreach (var (first, last) in ranges)
        {
            if (first > next) result.Add((next, first - 1));
            next = last + 1;
        }
        if (next <= 0x10FFFF) result.Add((next, 0x10FFFF));
        return result;
    }

    int Set(byte first, byte last)
    {
        var words = new ulong[4];
        for (int b = first; b <= last; b++) words[b >> 6] |= 1UL << (b & 63);
        return Set(words);
    }

    int Set(ulong[] w)
    {
        var key = (w[0], w[1], w[2], w[3]);
        if (_setIds.TryGetValue(key, out int id)) return id;
        id = ByteSets.Count / 4;
        ByteSets.AddRange(w);
        _setIds[key] = id;
        return id;
    }
}
