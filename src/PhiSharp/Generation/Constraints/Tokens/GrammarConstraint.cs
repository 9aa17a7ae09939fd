using PhiSharp.Tokenizers;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// One generation's grammar state as a token mask. Before each token it leaves only the logits of tokens whose bytes
/// the grammar allows from the current state, plus the end-of-generation tokens where the grammar accepts; it also
/// keeps the output completable within the tokens left: a token is allowed only if the fewest bytes that complete
/// the grammar after it fit in the tokens that remain (a byte is at most one token, since every byte the grammar
/// may need has a single-byte token). Nothing is allocated per token once the states in use have been seen.
/// </summary>
internal sealed class GrammarConstraint : IOutputConstraint
{
    /// <summary>Most memory the masks remembered per state may take.</summary>
    const long MaskCacheBytes = 64L << 20;

    readonly TokenVocabulary _vocabulary;
    readonly GrammarAutomaton _automaton;
    readonly int[] _endIds;
    readonly bool[] _isEnd;
    readonly ulong[] _bits;          // the mask being computed: bit per logit
    readonly int[] _stateAtDepth;
    readonly Dictionary<int, RememberedMask> _masks = [];
    readonly int _maskCapacity;
    int _state;
    bool _started;

    /// <summary>A state's mask, valid for every budget that leaves at least <see cref="Distance"/> bytes after the
    /// token (the farthest completion among its tokens), since then the budget excludes nothing.</summary>
    sealed record RememberedMask(ulong[] Bits, int Distance);

    /// <param name="afterText">Whether output precedes the grammar's (a trigger token), so its first token is not
    /// the start of the decoded text.</param>
    public GrammarConstraint(Grammar grammar, ITokenizer tokenizer, IReadOnlyCollection<int> endIds, int logitCount, bool afterText = false)
    {
        _started = afterText;
        _vocabulary = TokenVocabulary.For(tokenizer);
        var single = _vocabulary.SingleByteToken;
        _endIds = [.. endIds.Where(id => (uint)id < (uint)logitCount)];
        _isEnd = new bool[logitCount];
        foreach (int id in _endIds) _isEnd[id] = true;
        _automaton = new GrammarAutomaton(grammar, b => single[b] >= 0 && !_isEnd[single[b]]);
        _bits = new ulong[(logitCount + 63) / 64];
        _maskCapacity = (int)Math.Max(1, MaskCacheBytes / (_bits.Length * 8L));
        _stateAtDepth = new int[_vocabulary.MaxDepth + 1];
        _state = _automaton.Start;
        if (ShortestCompletion >= Grammar.Infinite)
            throw new GrammarException("The grammar cannot be completed with this vocabulary: a byte it needs has no token of its own.");
    }

    /// <summary>Most tokens the shortest valid output from the start needs (one per byte; fewer in practice).</summary>
    public int ShortestCompletion => _automaton.Distance(_automaton.Start);

    /// <summary>Whether the output so far is a complete sentence of the grammar.</summary>
    public bool Accepts => _automaton.Accepts(_state);

    /// <summary>Sets every disallowed logit to −∞. A state's mask is remembered, so a state met again (inside a
    /// string, say) costs one pass over the logits rather than a walk of the vocabulary.</summary>
    /// <param name="remaining">Tokens that may still be generated, this one included.</param>
    public void Mask(Span<float> logits, int remaining)
    {
        int budgetAfter = remaining - 1;
        if (!_masks.TryGetValue(_state, out var remembered) || budgetAfter < remembered.Distance)
        {
            Array.Clear(_bits);
            int count = AllowTokens(budgetAfter, out int farthest, out bool budgetExcluded);
            if (_automaton.Accepts(_state))
                foreach (int id in _endIds) { _bits[id >> 6] |= 1UL << (id & 63); count++; }
            if (count == 0)
                throw new InvalidOperationException("No token can continue the grammar here (a grammar whose output must start with a space, with a vocabulary whose decoder drops the first space?).");
            // The first mask of a vocabulary that drops the first space is special; one cut by the budget is too.
            bool general = !budgetExcluded && (_started || !_vocabulary.DropsLeadingSpace);
            remembered = general && _masks.Count < _maskCapacity ? new RememberedMask((ulong[])_bits.Clone(), farthest) : null;
            if (remembered is not null) _masks[_state] = remembered;
            Apply(_bits, logits);
            return;
        }
        Apply(remembered.Bits, logits);
    }

    static void Apply(ulong[] bits, Span<float> logits)
    {
        for (int w = 0; w < bits.Length; w++)
        {
            ulong word = bits[w];
            if (word == ulong.MaxValue) continue;
            int first = w * 64, last = Math.Min(first + 64, logits.Length);
            for (int i = first; i < last; i++)
                if ((word & (1UL << (i & 63))) == 0) logits[i] = float.NegativeInfinity;
        }
    }

    // The trie walk: one transition per edge; a rejected edge skips its whole subtree.
    int AllowTokens(int budgetAfter, out int farthest, out bool budgetExcluded)
    {
        var v = _vocabulary;
        var edges = v.EdgeByte;
        var depths = v.Depth;
        var ends = v.SubtreeEnd;
        var starts = v.TokenStart;
        var ids = v.TokenIds;
        var stateAt = _stateAtDepth;
        var bits = _bits;
        var isEnd = _isEnd;
        bool noLeadingSpace = !_started && v.DropsLeadingSpace;
        stateAt[0] = _state;
        int count = 0;
        farthest = 0;
        budgetExcluded = false;
        for (int i = 1; i < edges.Length;)
        {
            int depth = depths[i];
            int next = _automaton.Step(stateAt[depth - 1], edges[i]);
            if (next == GrammarAutomaton.Dead || (noLeadingSpace && depth == 1 && edges[i] == (byte)' '))
            {
                i = ends[i];
                continue;
            }
            stateAt[depth] = next;
            if (starts[i] < starts[i + 1])
            {
                int distance = _automaton.Distance(next);
                if (distance > budgetAfter) budgetExcluded = true;
                else
                {
                    if (distance > farthest) farthest = distance;
                    for (int t = starts[i]; t < starts[i + 1]; t++)
                    {
                        int id = ids[t];
                        // An end token is never text inside the grammar, even one whose piece is plain text (</s>).
                        if ((uint)id >= (uint)isEnd.Length || isEnd[id]) continue;
                        bits[id >> 6] |= 1UL << (id & 63);
                        count++;
                    }
                }
            }
            i++;
        }
        return count;
    }

    /// <summary>Advances over a sampled token (which the last mask allowed).</summary>
    public bool Ends(int id) => false;

    public void Accept(int id)
    {
        if (Array.IndexOf(_endIds, id) >= 0) return;
        var bytes = _vocabulary.Bytes[id] ?? throw new InvalidOperationException($"Token {id} is not allowed by the grammar.");
        int state = _state;
        foreach (byte b in bytes)
        {
            state = _automaton.Step(state, b);
            if (state == GrammarAutomaton.Dead) throw new InvalidOperationException($"Token {id} is not allowed by the grammar here.");
        }
        _state = state;
        _started = true;
    }
}
