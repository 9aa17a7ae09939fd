using PhiSharp.Tokenizers;

namespace PhiSharp.Generation.Constraints;

/// <summary>
/// A grammar that applies after a special start token (<see cref="GrammarTrigger"/>): free text until the model
/// emits it, then the grammar's output, closed by the end token, which ends generation. The start token is allowed
/// only while the tokens left can still hold the grammar's shortest output and the end token, so a triggered part is
/// complete whenever the budget ends it.
/// </summary>
internal sealed class TriggeredGrammarConstraint : IOutputConstraint
{
    readonly GrammarConstraint _grammar;
    readonly GrammarTriggerUse _use;
    readonly int _start, _end;
    bool _triggered;

    public TriggeredGrammarConstraint(Grammar grammar, GrammarTrigger trigger, ITokenizer tokenizer, int logitCount)
    {
        _start = SpecialToken(tokenizer, trigger.StartToken);
        _end = SpecialToken(tokenizer, trigger.EndToken);
        _use = trigger.Use;
        // Once the grammar accepts, the end token is the only way out; the model's stop tokens wait for it.
        _grammar = new GrammarConstraint(grammar, tokenizer, [_end], logitCount, afterText: true);
    }

    static int SpecialToken(ITokenizer tokenizer, string text) =>
        tokenizer.TryGetId(text, out int id) && tokenizer.IsSpecial(id) ? id
        : throw new ArgumentException($"The grammar trigger '{text}' is not a special token of this vocabulary.");

    /// <summary>Immediate: the start token, the grammar's shortest output and the end token; otherwise nothing.</summary>
    public int ShortestCompletion => _use == GrammarTriggerUse.Immediate ? _grammar.ShortestCompletion + 2 : 0;

    public void Mask(Span<float> logits, int remaining)
    {
        if (_triggered)
        {
            _grammar.Mask(logits, remaining);
            return;
        }
        if (_use == GrammarTriggerUse.Immediate)
        {
            float start = logits[_start];
            logits.Fill(float.NegativeInfinity);
            logits[_start] = start;
            return;
        }
        if (_use == GrammarTriggerUse.Forbidden || remaining - 1 < _grammar.ShortestCompletion + 1) logits[_start] = float.NegativeInfinity;
        logits[_end] = float.NegativeInfinity;
    }

    public void Accept(int id)
    {
        if (_triggered) _grammar.Accept(id);
        else if (id == _start) _triggered = true;
    }

    public bool Ends(int id) => _triggered && id == _end;
}
