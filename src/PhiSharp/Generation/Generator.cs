using System.Runtime.CompilerServices;
using PhiSharp.Generation.Constraints;
using PhiSharp.Models;
using PhiSharp.Tokenizers;

namespace PhiSharp.Generation;

/// <summary>
/// Autoregressive decoding: evaluates the prompt, then samples one token at a time until an end-of-sequence token,
/// a stop string, MaxTokens or the context length. Text is streamed through a UTF-8-safe decoder and the stop-string
/// matcher, so what it yields never needs to be taken back.
/// </summary>
public sealed class Generator(ICausalLanguageModel network, ITokenizer tokenizer, IReadOnlyCollection<int> stopTokenIds)
{
    /// <summary>Streams the continuation of <paramref name="prompt"/>. The forward passes run on the enumerating
    /// thread, after a first yield so the caller's thread is not held during the prompt.</summary>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IReadOnlyList<int> prompt, GenerationOptions options,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach (var token in Generate(prompt, options, cancellationToken))
            yield return token;
    }

    /// <summary>The synchronous form of <see cref="GenerateAsync"/>.</summary>
    public IEnumerable<GeneratedToken> Generate(IReadOnlyList<int> prompt, GenerationOptions options,
        CancellationToken cancellationToken = default)
    {
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxTokens, nameof(options.MaxTokens));
        if (options.ContextLength is < 1 || options.ContextLength > network.MaxContextLength)
            throw new ArgumentOutOfRangeException(nameof(options), options.ContextLength,
                $"A context of {options.ContextLength} tokens: it must be 1 to the model's context of {network.MaxContextLength}.");
        int context = options.ContextLength ?? Math.Min(network.MaxContextLength, prompt.Count + options.MaxTokens);
        if (prompt.Count >= context)
            throw new ArgumentException($"The prompt has {prompt.Count} tokens; the context holds {context}.", nameof(prompt));

        options.Sampling.Validate();
        var constraint = Constrain(options, Math.Min(options.MaxTokens, context - prompt.Count + 1));
        return Run(context, prompt, options, constraint, cancellationToken);
    }

    /// <summary>
    /// Streams the continuation of <paramref name="prompt"/> in a session that may already hold an earlier sequence:
    /// the tokens it shares with the prompt are kept and only the rest is evaluated, so a conversation's next turn
    /// does not re-process its history. The session ends up holding the prompt and the generated tokens (all but
    /// the last one), ready for the next call. The session must not be used by anyone else meanwhile.
    /// </summary>
    public async IAsyncEnumerable<GeneratedToken> GenerateAsync(IInferenceSession session, IReadOnlyList<int> prompt,
        GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        foreach (var token in Generate(session, prompt, options, cancellationToken))
            yield return token;
    }

    /// <summary>The synchronous form of <see cref="GenerateAsync(IInferenceSession, IReadOnlyList{int}, GenerationOptions, CancellationToken)"/>.
    /// <see cref="GenerationOptions.ContextLength"/> is the session's and is not used.</summary>
    public IEnumerable<GeneratedToken> Generate(IInferenceSession session, IReadOnlyList<int> prompt, GenerationOptions options,
        CancellationToken cancellationToken = default)
    {
        if (prompt.Count == 0) throw new ArgumentException("The prompt has no tokens.", nameof(prompt));
        ArgumentOutOfRangeException.ThrowIfNegative(options.MaxTokens, nameof(options.MaxTokens));
        if (prompt.Count >= session.ContextLength)
            throw new ArgumentException($"The prompt has {prompt.Count} tokens; the context holds {session.ContextLength}.", nameof(prompt));
        options.Sampling.Validate();
        var constraint = Constrain(options, Math.Min(options.MaxTokens, session.ContextLength - prompt.Count + 1));
        return Continue(session, prompt, options, constraint, cancellationToken);
    }

    /// <summary>How many leading tokens of <paramref name="prompt"/> a session holding <paramref name="cached"/> can keep:
    /// the common prefix, less one when it is the whole prompt (the last prompt token is evaluated again for its logits).</summary>
    public static int ReusablePrefix(ReadOnlySpan<int> cached, IReadOnlyList<int> prompt)
    {
        int n = 0, limit = Math.Min(cached.Length, prompt.Count - 1);
        while (n < limit && cached[n] == prompt[n]) n++;
        return n;
    }

    /// <summary>
    /// Most tokens the shortest output of <paramref name="grammar"/> takes with this tokenizer (counted one per byte,
    /// an upper bound): MaxTokens below it cannot give a complete output and is refused.
    /// </summary>
    public int ShortestCompletion(Grammar grammar) =>
        new GrammarConstraint(grammar, tokenizer, stopTokenIds, network.VocabSize).ShortestCompletion;

    IOutputConstraint? Constrain(GenerationOptions options, int budget)
    {
        if (options.Grammar is null) return null;
        IOutputConstraint constraint = options.GrammarTrigger is { } trigger
            ? new TriggeredGrammarConstraint(options.Grammar, trigger, tokenizer, network.VocabSize)
            : new GrammarConstraint(options.Grammar, tokenizer, stopTokenIds, network.VocabSize);
        if (budget < constraint.ShortestCompletion)
            throw new ArgumentException(budget < options.MaxTokens
                ? $"The context leaves room for {budget} tokens; the grammar's shortest output needs up to {constraint.ShortestCompletion}."
                : $"MaxTokens is {budget}; the grammar's shortest output needs up to {constraint.ShortestCompletion} tokens.", nameof(options));
        return constraint;
    }

    IEnumerable<GeneratedToken> Run(int context, IReadOnlyList<int> prompt, GenerationOptions options, IOutputConstraint? constraint, CancellationToken ct)
    {
        using var session = network.CreateSession(context);
        foreach (var token in Continue(session, prompt, options, constraint, ct))
            yield return token;
    }

    IEnumerable<GeneratedToken> Continue(IInferenceSession session, IReadOnlyList<int> prompt, GenerationOptions options,
        IOutputConstraint? constraint, CancellationToken ct)
    {
        var sampler = new Sampler(options.Sampling, network.VocabSize);
        var decoder = new StreamingDecoder(tokenizer);
        var stops = new StopStrings(options.StopStrings);
        var logits = new float[network.VocabSize];
        var next = new int[1];

        ct.ThrowIfCancellationRequested();
        int kept = ReusablePrefix(session.Tokens, prompt);
        session.Truncate(kept);
        try
        {
            session.Append(prompt.Skip(kept).ToArray(), logits);
            for (int produced = 0; produced < options.MaxTokens; produced++)
            {
                ct.ThrowIfCancellationRequested();
                // Tokens left, this one included: the last one is sampled when the session is full, never appended.
                constraint?.Mask(logits, Math.Min(options.MaxTokens - produced, session.ContextLength - session.Length + 1));
                int id = sampler.Sample(logits, session.Tokens);
                constraint?.Accept(id);
                if (stopTokenIds.Contains(id) || constraint?.Ends(id) == true)
                {
                    yield return new GeneratedToken(id, stops.Push(decoder.Flush()) + stops.Flush(), FinishReason.Stop);
                    yield break;
                }
                string text = stops.Push(decoder.Push(id));
                if (stops.Stopped)
                {
                    yield return new GeneratedToken(id, text, FinishReason.Stop);
                    yield break;
                }
                bool full = session.Length == session.ContextLength || produced + 1 == options.MaxTokens;
                if (full)
                {
                    // The held-back tail may itself complete a stop string; then the stop, not the length, ended the reply.
                    string tail = stops.Push(decoder.Flush());
                    yield return new GeneratedToken(id, text + tail + stops.Flush(), stops.Stopped ? FinishReason.Stop : FinishReason.Length);
                    yield break;
                }
                yield return new GeneratedToken(id, text);
                next[0] = id;
                session.Append(next, logits);
            }
        }
        finally
        {
            // However the generation ends (a stop, its length, cancellation, an error, the caller stopping early),
            // sessions decoding beside this one in batched steps stop waiting for its next token.
            session.EndTurn();
        }
    }
}
