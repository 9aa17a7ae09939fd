using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;
using PhiSharp.Generation.Constraints;
using PhiSharp.Generation.Tools;
using PhiSharp.Models;
using PhiSharp.Models.Phi3Vision;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using PhiChatMessage = PhiSharp.Tokenizers.ChatMessage;
using ChatTool = PhiSharp.Tokenizers.ChatTool;

namespace PhiSharp.Generation;

/// <summary>
/// A loaded model as a <c>Microsoft.Extensions.AI</c> <see cref="IChatClient"/>, for in-process use by any
/// consumer of that abstraction. Messages are rendered with the model's chat template; ChatOptions map to
/// <see cref="GenerationOptions"/> (MaxOutputTokens, Temperature, TopP, TopK, Seed, StopSequences, Instructions as a
/// system turn, ResponseFormat as constrained decoding: Json any JSON object, ForJsonSchema output that validates
/// against the schema, so GetResponseAsync&lt;T&gt; always gets a T; Tools and ToolMode as constrained tool calls,
/// returned as FunctionCallContent, each once its arguments are complete, with the finish reason ToolCalls;
/// FunctionCallContent and FunctionResultContent in the history become the template's tool calls and tool turns,
/// so FunctionInvokingChatClient's loop works; image DataContent for Phi-3-vision models). Calls take turns on one session, so a
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
        CancellationToken cancellationToken = default) =>
        await GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages,
        ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var tools = Tools(options);
        var (text, images) = Conversation(messages, options, tools?.Declared);
        var generation = Options(options, tools?.Format);
        var reader = options?.ResponseFormat is ChatResponseFormatJson ? null : tools?.Format.CreateReader();
        string id = Guid.NewGuid().ToString("N");
        var created = DateTimeOffset.UtcNow;
        await _turn.WaitAsync(cancellationToken);
        try
        {
            int[] prompt = images.Count == 0 ? Tokens(text) : WithImages(text, images);
            int count = 0;
            var calls = new List<(string Id, string Name, StringBuilder Arguments)>();
            await foreach (var token in _model.Generator.GenerateAsync(_session, prompt, generation, cancellationToken))
            {
                count++;
                var update = new ChatResponseUpdate(ChatRole.Assistant, reader is null ? token.Text : null)
                {
                    ResponseId = id,
                    MessageId = id,
                    CreatedAt = created,
                    ModelId = _metadata.DefaultModelId,
                };
                if (reader is not null)
                {
                    var read = reader.Push(token.Text);
                    if (token.Finish is not null) read = [.. read, .. reader.Finish()];
                    AddRead(update, read, calls);
                }
                if (token.Finish is not null)
                {
                    update.FinishReason = calls.Count > 0 ? ChatFinishReason.ToolCalls
                        : token.Finish == FinishReason.Length ? ChatFinishReason.Length : ChatFinishReason.Stop;
                    update.Contents.Add(new UsageContent(new UsageDetails
                    {
                        InputTokenCount = prompt.Length,
                        OutputTokenCount = count,
                        TotalTokenCount = prompt.Length + count,
                    }));
                }
                yield return update;
            }
        }
        finally
        {
            _turn.Release();
        }
    }

    /// <summary>Reply text as text content; a call, once its arguments are complete, as a FunctionCallContent.</summary>
    static void AddRead(ChatResponseUpdate update, IReadOnlyList<ToolCallUpdate> read, List<(string Id, string Name, StringBuilder Arguments)> calls)
    {
        foreach (var u in read)
            switch (u.Kind)
            {
                case ToolCallUpdateKind.Content: update.Contents.Add(new TextContent(u.Text)); break;
                case ToolCallUpdateKind.Start: calls.Add((u.Id!, u.Text, new StringBuilder())); break;
                case ToolCallUpdateKind.Arguments: calls[u.Index].Arguments.Append(u.Text); break;
                case ToolCallUpdateKind.End:
                    var (callId, name, arguments) = calls[u.Index];
                    update.Contents.Add(ChatClientMessages.Call(callId, name, arguments.ToString()));
                    break;
            }
    }

    /// <summary>The declared functions and their call format, when the options carry tools.</summary>
    (IReadOnlyList<ChatTool> Declared, ToolCallFormat Format)? Tools(ChatOptions? options)
    {
        if (options?.Tools is not { Count: > 0 } tools) return null;
        var declared = tools.Select(t => t is AIFunctionDeclaration f
            ? new ChatTool(f.Name, f.Description, f.JsonSchema)
            : throw new NotSupportedException($"PhiChatClient calls functions only; the tool '{t.Name}' is a {t.GetType().Name}.")).ToList();
        var choice = options.ToolMode switch
        {
            NoneChatToolMode => ToolChoice.None,
            RequiredChatToolMode { RequiredFunctionName: { } name } => ToolChoice.Function(name),
            RequiredChatToolMode => ToolChoice.Required,
            _ => ToolChoice.Auto,
        };
        return (declared, ToolCallFormat.For(_model.ChatTemplate, _model.Tokenizer, declared, choice, options.AllowMultipleToolCalls ?? true));
    }

    /// <summary>The conversation in the model's chat format, and its images (DataContent with an image/* media type)
    /// in order: each message's images become <c>&lt;|image_n|&gt;</c> lines before its text, as Phi-3-vision's
    /// prompts write them.</summary>
    (string Text, List<RgbImage> Images) Conversation(IEnumerable<AiChatMessage> messages, ChatOptions? options, IReadOnlyList<ChatTool>? tools)
    {
        var turns = new List<PhiChatMessage>();
        var images = new List<RgbImage>();
        if (options?.Instructions is { Length: > 0 } instructions) turns.Add(new PhiChatMessage("system", instructions));
        turns.AddRange(ChatClientMessages.Turns(messages, images));
        if (turns.Count == 0) throw new ArgumentException("There are no messages.", nameof(messages));
        return (_model.ChatTemplate.Format(turns, addGenerationPrompt: true, tools), images);
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

    GenerationOptions Options(ChatOptions? options, ToolCallFormat? tools)
    {
        if (tools is not null && options?.ResponseFormat is ChatResponseFormatJson && options.ToolMode is not NoneChatToolMode)
            throw new NotSupportedException("A JSON response format together with tools the model may call is not supported; set ToolMode to None or drop the format.");
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
                _ => tools?.Grammar,
            },
            GrammarTrigger = options?.ResponseFormat is ChatResponseFormatJson ? null : tools?.Trigger,
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
