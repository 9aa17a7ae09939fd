using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using PhiSharp.Generation.Constraints;
using PhiSharp.Models;
using PhiSharp.Models.Phi3Vision;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using PhiChatMessage = PhiSharp.Tokenizers.ChatMessage;

namespace PhiSharp.Generation;

/// <summary>
/// A loaded model as a <c>Microsoft.Extensions.AI</c> <see cref="IChatClient"/>, for in-process use by any
/// consumer of that abstraction. Messages are rendered with the model's chat template; ChatOptions map to
/// <see cref="GenerationOptions"/> (MaxOutputTokens, Temperature, TopP, TopK, Seed, StopSequences, Instructions as a
/// system turn, ResponseFormat as constrained decoding: Json any JSON object, ForJsonSchema output that validates
/// against the schema, so GetResponseAsync&lt;T&gt; always gets a T). Calls take turns on one session, so a
/// conversation's next turn reuses its cached history.
/// </summary>
public sealed class PhiChatClient : IChatClient
{
    readonly LanguageModel _model;
    readonly IInferenceSession _session;
    readonly SemaphoreSlim _turn = new(1, 1);
    readonly ChatClientMetadata _metadata;
    Phi3VisionModel? _vision;

    /// <param name="model">Owned by the caller; must outlive the client.</param>
    /// <param name="contextLength">Tokens of the client's KV cache; null takes the model's, at most 4096.</param>
    /// <param name="modelId">The id reported as ModelId; null uses the model file's name.</param>
    public PhiChatClient(LanguageModel model, int? contextLength = null, string? modelId = null)
    {
        _model = model;
        _session = model.Network.CreateSession(Math.Min(contextLength ?? model.Info.DefaultContextLength, model.Network.MaxContextLength));
        _metadata = new ChatClientMetadata("phisharp", null, modelId ?? model.Info.Name);
    }

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var text = new StringBuilder();
        ChatResponseUpdate? last = null;
        UsageDetails? usage = null;
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            text.Append(update.Text);
            usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
            last = update;
        }
        return new ChatResponse(new AiChatMessage(ChatRole.Assistant, text.ToString()))
        {
            FinishReason = last?.FinishReason,
            ModelId = _metadata.DefaultModelId,
            ResponseId = last?.ResponseId,
            CreatedAt = last?.CreatedAt,
            Usage = usage,
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (text, images) = Conversation(messages, options);
        var generation = Options(options);
        string id = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        await _turn.WaitAsync(cancellationToken);
        try
        {
            int[] prompt = images.Count == 0 ? Tokens(text) : WithImages(text, images);
            int count = 0;
            await foreach (var token in _model.Generator.GenerateAsync(_session, prompt, generation, cancellationToken))
            {
                count++;
                var update = new ChatResponseUpdate(ChatRole.Assistant, token.Text)
                {
                    ResponseId = id,
                    MessageId = id,
                    CreatedAt = created,
                    ModelId = _metadata.DefaultModelId,
                    FinishReason = token.Finish switch
                    {
                        FinishReason.Stop => ChatFinishReason.Stop,
                        FinishReason.Length => ChatFinishReason.Length,
                        _ => null,
                    },
                };
                if (token.Finish is not null)
                    update.Contents.Add(new UsageContent(new UsageDetails
                    {
                        InputTokenCount = prompt.Length,
                        OutputTokenCount = count,
                        TotalTokenCount = prompt.Length + count,
                    }));
                yield return update;
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>The conversation in the model's chat format, and its images (DataContent with an image/* media type)
    /// in order: each message's images become <c>&lt;|image_n|&gt;</c> lines before its text, as Phi-3-vision's
    /// prompts write them.</summary>
    (string Text, List<RgbImage> Images) Conversation(IEnumerable<AiChatMessage> messages, ChatOptions? options)
    {
        var turns = new List<PhiChatMessage>();
        var images = new List<RgbImage>();
        if (options?.Instructions is { Length: > 0 } instructions) turns.Add(new PhiChatMessage("system", instructions));
        foreach (var message in messages)
        {
            var tags = new StringBuilder();
            foreach (var data in message.Contents.OfType<DataContent>())
            {
                if (!data.HasTopLevelMediaType("image"))
                    throw new NotSupportedException($"PhiChatClient reads text and images; a message holds '{data.MediaType}' content.");
                images.Add(ImageDecoder.Decode(data.Data.ToArray(), name: $"image {images.Count + 1}"));
                tags.Append($"<|image_{images.Count}|>\n");
            }
            turns.Add(new PhiChatMessage(message.Role.Value, tags + message.Text));
        }
        if (turns.Count == 0) throw new ArgumentException("There are no messages.", nameof(messages));
        return (_model.ChatTemplate.Format(turns, addGenerationPrompt: true), images);
    }

    int[] Tokens(string text) => Fitting(_model.Tokenizer.Encode(text, parseSpecial: true));

    /// <summary>A prompt with images is evaluated whole (its placeholders say nothing of which pixels they stand for,
    /// so no cached prefix past the first is trusted); generation then keeps all of it but the last token.</summary>
    int[] WithImages(string text, List<RgbImage> images)
    {
        _vision ??= new Phi3VisionModel(_model);
        var prompt = _vision.Prepare(text, images);
        Fitting(prompt.Ids);
        _session.Truncate(0);
        _vision.Append(_session, prompt, new float[_model.Network.VocabSize]);
        return prompt.Ids;
    }

    int[] Fitting(int[] prompt) => prompt.Length < _session.ContextLength ? prompt
        : throw new ArgumentException($"The conversation has {prompt.Length} tokens; the context holds {_session.ContextLength}.", "messages");

    GenerationOptions Options(ChatOptions? options)
    {
        if (options?.Tools is { Count: > 0 }) throw new NotSupportedException("PhiChatClient does not call tools.");
        var sampling = new SamplingOptions
        {
            Temperature = options?.Temperature ?? 0f,
            TopP = options?.TopP ?? 1f,
            TopK = options?.TopK ?? 0,
            Seed = options?.Seed is { } seed ? unchecked((ulong)seed) : null,
        };
        sampling.Validate();
        return new GenerationOptions
        {
            MaxTokens = options?.MaxOutputTokens ?? _session.ContextLength,
            StopStrings = options?.StopSequences?.ToArray() ?? [],
            Sampling = sampling,
            Grammar = options?.ResponseFormat switch
            {
                ChatResponseFormatJson { Schema: { } schema } => JsonSchemaGrammar.FromSchema(schema),
                ChatResponseFormatJson => JsonSchemaGrammar.AnyJsonObject,
                _ => null,
            },
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType == typeof(LanguageModel)) return _model;
        return serviceType.IsInstanceOfType(this) ? this : null;
    }

    public void Dispose()
    {
        _session.Dispose();
        _turn.Dispose();
    }
}
