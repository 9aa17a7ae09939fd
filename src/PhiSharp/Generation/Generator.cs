using System.Runtime.CompilerServices;
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
        int context = options.ContextLength ?? Math.Min(network.MaxContextLength, prompt.Count + options.MaxTokens);
        if (prompt.Count >= context)
            throw new ArgumentException($"The prompt has {prompt.Count} tokens; the context holds {context}.", nameof(prompt));

        options.Sampling.Validate();
        return Run(context, prompt, options, cancellationToken);
    }

    IEnumerable<GeneratedToken> Run(int context, IReadOnlyList<int> prompt, GenerationOptions options, CancellationToken ct)
    {
        using var session = network.CreateSession(context);
        var sampler = new Sampler(options.Sampling, network.VocabSize);
        var decoder = new StreamingDecoder(tokenizer);
        var stops = new StopStrings(options.StopStrings);
        var logits = new float[network.VocabSize];
        var next = new int[1];

        ct.ThrowIfCancellationRequested();
        session.Append(prompt.ToArray(), logits);
        for (int produced = 0; produced < options.MaxTokens; produced++)
        {
            ct.ThrowIfCancellationRequested();
            int id = sampler.Sample(logits, session.Tokens);
            if (stopTokenIds.Contains(id))
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
                yield return new GeneratedToken(id, text + stops.Push(decoder.Flush()) + stops.Flush(), FinishReason.Length);
                yield break;
            }
            yield return new GeneratedToken(id, text);
            next[0] = id;
            session.Append(next, logits);
        }
    }
}
