namespace PhiSharp.Generation.Constraints;

/// <summary>
/// A context-free grammar over bytes, from the grammar language of docs/TOOLS.md or from a JSON schema
/// (<see cref="JsonSchemaGrammar"/>). Immutable and shareable: each generation matches it with its own
/// <see cref="GrammarAutomaton"/>. Characters are lowered to their UTF-8 byte sequences, repetitions and groups to
/// helper rules, so the matcher only ever sees byte sets, rule references and ends of alternatives.
/// </summary>
public sealed partial class Grammar
{
    internal enum Kind : byte { Bytes, Rule, End }

    internal readonly Kind[] Kinds;       // per element
    internal readonly int[] Args;         // Bytes: byte-set index; Rule: rule id
    internal readonly ulong[] ByteSets;   // 4 words (256 bits) per set
    internal readonly int[][] Alternatives; // rule id → first element of each alternative
    internal readonly string[] RuleNames;
    internal readonly int Root;

    /// <summary>The grammar's text (for a compiled JSON schema, the grammar it compiled to).</summary>
    public string Text { get; }

    Grammar(string text, GrammarBuilder built)
    {
        Text = text;
        Kinds = [.. built.Kinds];
        Args = [.. built.Args];
        ByteSets = [.. built.ByteSets];
        Alternatives = [.. built.Alternatives.Select(a => a.ToArray())];
        RuleNames = [.. built.Names];
        Root = built.Root;
    }

    /// <summary>Parses grammar text whose start rule is <paramref name="root"/>.</summary>
    /// <exception cref="GrammarException">A syntax error (line and column), an undefined rule, left recursion, or
    /// a grammar that can never finish.</exception>
    public static Grammar Parse(string text, string root = "root")
    {
        ArgumentNullException.ThrowIfNull(text);
        var grammar = new Grammar(text, GrammarBuilder.Build(GrammarParser.Parse(text), root));
        grammar.CheckNoLeftRecursion();
        if (grammar.MinimumLengths(_ => true).Rule[grammar.Root] >= Infinite)
            throw new GrammarException($"The rule '{root}' can never finish: every alternative needs itself or an empty character class.");
        return grammar;
    }

    internal bool Contains(int set, byte b) => (ByteSets[set * 4 + (b >> 6)] & (1UL << (b & 63))) != 0;

    internal const int Infinite = int.MaxValue / 4;

    /// <summary>
    /// Fewest bytes that finish each rule, and from each element to the end of its alternative, when a byte set
    /// counts as one byte if <paramref name="usable"/> says one of its bytes can be produced, else as impossible.
    /// A fixpoint over the rules (Bellman-Ford style); recursion and empty rules need no special case.
    /// </summary>
    internal (int[] Rule, int[] FromElement) MinimumLengths(Func<int, bool> usable)
    {
        var setCost = new int[ByteSets.Length / 4];
        for (int s = 0; s < setCost.Length; s++) setCost[s] = usable(s) ? 1 : Infinite;
        var rule = new int[Alternatives.Length];
        Array.Fill(rule, Infinite);
        var rest = new int[Kinds.Length];
        for (bool changed = true; changed;)
        {
            changed = false;
            for (int r = 0; r < Alternatives.Length; r++)
            {
                foreach (int start in Alternatives[r])
                {
                    int cost = RestFrom(start, setCost, rule, rest);
                    if (cost < rule[r]) { rule[r] = cost; changed = true; }
                }
            }
        }
        return (rule, rest);
    }

    // Fills rest[] for one alternative, from its end backwards, and returns its cost.
    int RestFrom(int start, int[] setCost, int[] rule, int[] rest)
    {
        int end = start;
        while (Kinds[end] != Kind.End) end++;
        rest[end] = 0;
        for (int i = end - 1; i >= start; i--)
        {
            int own = Kinds[i] == Kind.Bytes ? setCost[Args[i]] : rule[Args[i]];
            rest[i] = Math.Min(Infinite, own + rest[i + 1]);
        }
        return rest[start];
    }

    /// <summary>A rule that can reach itself without consuming a byte would make the matcher loop forever.</summary>
    void CheckNoLeftRecursion()
    {
        var nullable = MinimumLengths(_ => true).Rule.Select(c => c == 0).ToArray();
        var state = new byte[Alternatives.Length];   // 0 unvisited, 1 on the path, 2 done
        void Visit(int r)
        {
            if (state[r] == 2) return;
            if (state[r] == 1)
                throw new GrammarException($"The rule '{RuleNames[r]}' is left-recursive: it can reach itself without matching a character.");
            state[r] = 1;
            foreach (int start in Alternatives[r])
            {
                for (int i = start; Kinds[i] == Kind.Rule; i++)
                {
                    Visit(Args[i]);
                    if (!nullable[Args[i]]) break;
                }
            }
            state[r] = 2;
        }
        for (int r = 0; r < Alternatives.Length; r++) Visit(r);
    }
}
