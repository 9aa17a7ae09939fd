using PhiSharp.Tokenizers;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// One generation's grammar state as a token mask. Before each token it leaves only the logits of tokens whose bytes
/// the grammar allows from the current state, plus the end-of-generation tokens where the grammar accepts; it also
/// keeps the output completable within the tokens left: a token is allowed only if the fewest bytes that complete
/// the grammar after it fit in the tokens that remain (a byte is at most one token, since every byte the grammar
/// may need has a single-byte token). Nothing is allocated per token once the states in use have been seen.
/// </summary>
internal sealed class GrammarConstraint
{
    readonly TokenVocabulary _vocabulary;
    readonly GrammarAutomaton _automaton;
    readonly int[] _endIds;
    readonly bool[] _isEnd;
    readonly bool[] _allowed;
    readonly int[] _stateAtDepth;
    int _state;
    bool _started;

    public GrammarConstraint(Grammar grammar, ITokenizer tokenizer, IReadOnlyCollection<int> endIds, int logitCount)
    {
        _vocabulary = TokenVocabulary.For(tokenizer);
        var single = _vocabulary.SingleByteToken;
        _endIds = [.. endIds.Where(id => (uint)id < (uint)logitCount)];
        _automaton = new GrammarAutomaton(grammar, b => single[b] >= 0 && !_endIds.Contains(single[b]));
        _allowed = new bool[logitCount];
        _isEnd = new bool[logitCount];
        foreach (int id in _endIds) _isEnd[id] = true;
        _stateAtDepth = new int[_vocabulary.MaxDepth + 1];
        _state = _automaton.Start;
        if (ShortestCompletion >= Grammar.Infinite)
            throw new GrammarException("The grammar cannot be completed with this vocabulary: a byte it needs has no token of its own.");
    }

    /// <summary>Most tokens the shortest valid output from the start needs (one per byte; fewer in practice).</summary>
    public int ShortestCompletion => _automaton.Distance(_automaton.Start);

    /// <summary>Whether the output so far is a complete sentence of the grammar.</summary>
    public bool Accepts => _automaton.Accepts(_state);

    /// <summary>Sets every disallowed logit to −∞.</summary>
    /// <param name="remaining">Tokens that may still be generated, this one included.</param>
    public void Mask(Span<float> logits, int remaining)
    {
        var allowed = _allowed.AsSpan(0, logits.Length);
        allowed.Clear();
        int count = 0;
        if (_automaton.Accepts(_state))
            foreach (int id in _endIds) { allowed[id] = true; count++; }
        count += AllowTokens(allowed, remaining - 1);
        if (count == 0)
            throw new InvalidOperationException("No token can continue the grammar here (a grammar whose output must start with a space, with a vocabulary whose decoder drops the first space?).");
        for (int i = 0; i < logits.Length; i++)
            if (!allowed[i]) logits[i] = float.NegativeInfinity;
    }

    // The trie walk: one transition per edge; a rejected edge skips its whole subtree.
    int AllowTokens(Span<bool> allowed, int budgetAfter)
    {
        var v = _vocabulary;
        var edges = v.EdgeByte;
        var depths = v.Depth;
        var ends = v.SubtreeEnd;
        var starts = v.TokenStart;
        var ids = v.TokenIds;
        var stateAt = _stateAtDepth;
        bool noLeadingSpace = !_started && v.DropsLeadingSpace;
        stateAt[0] = _state;
        int count = 0;
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
            if (starts[i] < starts[i + 1] && _automaton.Distance(next) <= budgetAfter)
            {
                for (int t = starts[i]; t < starts[i + 1]; t++)
                {
                    // An end token is never text inside the grammar, even one whose piece is plain text (</s>).
                    if ((uint)ids[t] >= (uint)allowed.Length || _isEnd[ids[t]]) continue;
                    allowed[ids[t]] = true;
                    count++;
                }
            }
            i++;
        }
        return count;
    }

    /// <summary>Advances over a sampled token (which the last mask allowed).</summary>
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
