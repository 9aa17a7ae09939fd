using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PhiSharp.Generation;
using PhiSharp.Generation.Tools;
using PhiSharp.Models.Phi3Vision;
using PhiSharp.Server.Rag;
using PhiSharp.Tokenizers;

namespace PhiSharp.Server;

/// <summary>
/// POST /v1/chat/completions: OpenAI's chat.completion object, or a stream of chat.completion.chunk events; with
/// "rag", answered from the server's documents (<see cref="GroundedChat"/>); with "tools", calls in "tool_calls" (streamed as
/// OpenAI's deltas: a call's index, id and name, then its arguments piece by piece) and finish_reason "tool_calls".
/// </summary>
static class ChatCompletionsEndpoint
{
    static readonly HashSet<string> Roles = ["system", "developer", "user", "assistant", "tool"];

    public static async Task HandleAsync(HttpContext http, ServedModel served)
    {
        var ct = http.RequestAborted;
        var reader = await RequestReader.ReadAsync(http.Request, served.Options.MaxRequestBytes, ct);
        var images = new List<RgbImage>();
        var messages = ReadMessages(reader, served, images);
        var tools = ToolsRequest.Read(reader, served);
        var grounded = await GroundedChat.ReadAsync(reader, served, messages, ct);
        if (grounded is not null && tools is not null)
            throw ApiException.BadRequest("'rag' cannot be combined with 'tools'.", "tools", "invalid_value");
        if (grounded is not null && images.Count > 0)
            throw ApiException.BadRequest("'rag' cannot be combined with images.", "rag", "invalid_value");
        bool unknown = grounded is { Hits.Count: 0 };
        Phi3VisionPrompt? withImages = null;
        var request = CompletionRequest.Read(reader, served, "messages", maxTokens => images.Count > 0
            ? (withImages = ImagePrompt(served, Format(served, messages, tools?.Tools), images)).Ids
            : grounded is null || unknown
            ? served.Model.Tokenizer.Encode(Format(served, messages, tools?.Tools), parseSpecial: true)
            : grounded.Prompt(served, maxTokens), defaultMaxTokens: null);
        var responseFormat = ResponseFormat.Read(reader);
        if (tools is not null && responseFormat is not null && tools.Choice.Kind != Generation.Tools.ToolChoiceKind.None)
            throw ApiException.BadRequest("'response_format' can be combined with 'tools' only when 'tool_choice' is none.", "response_format", "invalid_value");
        if (tools is not null && responseFormat is null)
        {
            int shortest = tools.ShortestReply(served.Model.Generator);
            if (request.Options.MaxTokens < shortest)
                throw ApiException.BadRequest($"max_tokens allows {request.Options.MaxTokens} tokens; a tool call here needs up to {shortest}.",
                    "max_tokens", "max_tokens_too_small");
            request = request with { Options = request.Options with { Grammar = tools.Format.Grammar, GrammarTrigger = tools.Format.Trigger } };
        }
        else tools = null;
        if (responseFormat is { } grammar)
        {
            int shortest = served.Model.Generator.ShortestCompletion(grammar);
            if (request.Options.MaxTokens < shortest)
                throw ApiException.BadRequest($"max_tokens allows {request.Options.MaxTokens} tokens; the response_format's shortest valid output needs up to {shortest}.",
                    "max_tokens", "max_tokens_too_small");
            request = request with { Options = request.Options with { Grammar = grammar } };
        }

        if (unknown)
        {
            // Nothing in the documents shares a word with the question: answer as `phi rag ask` does, without the model.
            await ReplyAsync(http, served, request, GroundedChat.Unknown(), grounded, null, modelRan: false, ct);
            return;
        }
        using var lease = await served.Slots.AcquireAsync(request.Prompt, ct);
        if (withImages is not null)
        {
            // The placeholders say nothing of which pixels they stand for, so no cached prefix past the first is trusted:
            // the prompt is evaluated whole, and generation keeps all of it but the last token.
            lease.Session.Truncate(0);
            served.Vision!.Append(lease.Session, withImages, new float[served.Model.Network.VocabSize]);
        }
        var tokens = served.Model.Generator.GenerateAsync(lease.Session, request.Prompt, request.Options, ct);
        await ReplyAsync(http, served, request, tokens, grounded, tools?.Format, modelRan: true, ct);
    }

    /// <summary>The prompt's ids with its images' placeholders, and the images encoded.</summary>
    static Phi3VisionPrompt ImagePrompt(ServedModel served, string text, List<RgbImage> images)
    {
        try
        {
            return served.Vision!.Prepare(text, images);
        }
        catch (ArgumentException e)
        {
            // The text names image tags that do not match the images sent.
            throw ApiException.BadRequest(e.Message, "messages", "invalid_value");
        }
    }

    /// <summary>The model's chat template over <paramref name="messages"/>: a template the conversation breaks (one that
    /// raises on roles it does not take) is the request's fault; a model without a usable template is the server's.</summary>
    static string Format(ServedModel served, IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools)
    {
        try
        {
            return served.Model.ChatTemplate.Format(messages, addGenerationPrompt: true, tools);
        }
        catch (Tokenizers.Templates.TemplateException e)
        {
            throw served.Model.ChatTemplate.Problem is null ? ApiException.BadRequest(e.Message, "messages") : new ApiException(500, e.Message);
        }
    }

    /// <summary>
    /// Writes the reply whole or as events. With "rag" the completion (or the chunk that carries finish_reason) gets a
    /// "sources" array; a reply the model did not write has zero usage.
    /// </summary>
    static async Task ReplyAsync(HttpContext http, ServedModel served, CompletionRequest request, IAsyncEnumerable<GeneratedToken> tokens,
        GroundedChat? grounded, ToolCallFormat? tools, bool modelRan, CancellationToken ct)
    {
        string id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        long created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        object UsageOf(int generated) => modelRan ? Usage(request.Prompt.Length, generated) : Usage(0, 0);
        JsonNode WithSources(object value, string answer)
        {
            var node = JsonSerializer.SerializeToNode(value, JsonOptions.Wire)!;
            if (grounded is not null) node["sources"] = JsonSerializer.SerializeToNode(grounded.SourcesJson(answer), JsonOptions.Wire);
            return node;
        }

        if (!request.Stream)
        {
            var (text, count, finish) = await CollectAsync(tokens);
            var (content, calls) = tools?.Parse(text) ?? (text, []);
            await http.Response.WriteAsJsonAsync(WithSources(new
            {
                id,
                @object = "chat.completion",
                created,
                model = served.Id,
                system_fingerprint = ServedModel.Fingerprint,
                choices = new[]
                {
                    new
                    {
                        index = 0,
                        message = Message(content, calls),
                        logprobs = (object?)null,
                        finish_reason = calls.Count > 0 ? "tool_calls" : FinishText(finish),
                    },
                },
                usage = UsageOf(count),
            }, text), JsonOptions.Wire, ct);
            return;
        }

        var sse = new ServerSentEvents(http.Response);
        sse.Start();
        object Chunk(object delta, string? finishReason) => new
        {
            id,
            @object = "chat.completion.chunk",
            created,
            model = served.Id,
            system_fingerprint = ServedModel.Fingerprint,
            choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finishReason } },
        };
        await sse.WriteAsync(Chunk(new { role = "assistant", content = "" }, null), ct);
        int generated = 0;
        FinishReason? last = null;
        var answer = new StringBuilder();
        var reader = tools?.CreateReader();
        bool called = false;
        await foreach (var token in tokens)
        {
            generated++;
            last = token.Finish;
            answer.Append(token.Text);
            if (reader is null)
            {
                if (token.Text.Length > 0) await sse.WriteAsync(Chunk(new { content = token.Text }, null), ct);
                continue;
            }
            var read = reader.Push(token.Text);
            if (token.Finish is not null) read = [.. read, .. reader.Finish()];
            foreach (var u in read)
            {
                called |= u.Kind == ToolCallUpdateKind.Start;
                if (ToolCallDelta(u) is { } delta) await sse.WriteAsync(Chunk(delta, null), ct);
            }
        }
        await sse.WriteAsync(WithSources(Chunk(new { }, called ? "tool_calls" : FinishText(last)), answer.ToString()), ct);
        if (request.IncludeUsage)
            await sse.WriteAsync(new
            {
                id,
                @object = "chat.completion.chunk",
                created,
                model = served.Id,
                system_fingerprint = ServedModel.Fingerprint,
                choices = Array.Empty<object>(),
                usage = UsageOf(generated),
            }, ct);
        await sse.DoneAsync(ct);
    }

    /// <summary>The reply message: content null when there are calls and no text, as OpenAI writes it.</summary>
    static object Message(string content, IReadOnlyList<ChatToolCall> calls) => calls.Count == 0
        ? new { role = "assistant", content = (string?)content, refusal = (string?)null }
        : new
        {
            role = "assistant",
            content = content.Length > 0 ? content : null,
            refusal = (string?)null,
            tool_calls = calls.Select(c => new { id = c.Id, type = "function", function = new { name = c.Name, arguments = c.Arguments } }).ToArray(),
        };

    /// <summary>A streamed piece as OpenAI's delta: text, a call's start (index, id, name) or a piece of its arguments.</summary>
    static object? ToolCallDelta(ToolCallUpdate u) => u.Kind switch
    {
        ToolCallUpdateKind.Content when u.Text.Length > 0 => new { content = u.Text },
        ToolCallUpdateKind.Start => new { tool_calls = new[] { new { index = u.Index, id = u.Id, type = "function", function = new { name = u.Text, arguments = "" } } } },
        ToolCallUpdateKind.Arguments => new { tool_calls = new[] { new { index = u.Index, function = new { arguments = u.Text } } } },
        _ => null,
    };

    public static object Usage(int prompt, int completion) =>
        new { prompt_tokens = prompt, completion_tokens = completion, total_tokens = prompt + completion };

    /// <summary>The whole reply of a non-streaming request: its text, how many tokens, and why it ended.</summary>
    public static async Task<(string Text, int Count, FinishReason? Finish)> CollectAsync(IAsyncEnumerable<GeneratedToken> tokens)
    {
        var text = new StringBuilder();
        int count = 0;
        FinishReason? finish = null;
        await foreach (var token in tokens)
        {
            text.Append(token.Text);
            count++;
            finish = token.Finish;
        }
        return (text.ToString(), count, finish);
    }

    public static string FinishText(FinishReason? finish) => finish == FinishReason.Length ? "length" : "stop";

    /// <summary>"messages": a non-empty array of {role, content}; content is a string or an array of text parts and, in
    /// a user message, image_url parts (decoded into <paramref name="images"/> in order).</summary>
    static List<ChatMessage> ReadMessages(RequestReader r, ServedModel served, List<RgbImage> images)
    {
        if (r.Field("messages") is not { } array) throw ApiException.BadRequest("'messages' is required.", "messages", "missing_required_parameter");
        if (array.ValueKind != JsonValueKind.Array) throw RequestReader.WrongType("messages", "an array");
        if (array.GetArrayLength() == 0) throw ApiException.BadRequest("'messages' must hold at least one message.", "messages", "invalid_value");
        var messages = new List<ChatMessage>();
        int i = 0;
        foreach (var m in array.EnumerateArray())
        {
            string at = $"messages[{i++}]";
            if (m.ValueKind != JsonValueKind.Object) throw RequestReader.WrongType(at, "an object");
            if (!m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"'{at}.role' is required and must be a string.", $"{at}.role", "invalid_type");
            string roleName = role.GetString()!;
            if (!Roles.Contains(roleName))
                throw ApiException.BadRequest($"'{at}.role' must be one of system, developer, user, assistant, tool; got '{roleName}'.", $"{at}.role", "invalid_value");
            var calls = roleName == "assistant" ? ToolsRequest.Calls(m, at) : null;
            string content = Content(m.TryGetProperty("content", out var c) ? c : default, $"{at}.content", roleName, served, images);
            string? callId = null;
            if (roleName == "tool")
            {
                if (!m.TryGetProperty("tool_call_id", out var tid) || tid.ValueKind != JsonValueKind.String)
                    throw ApiException.BadRequest($"'{at}.tool_call_id' is required on a tool message.", $"{at}.tool_call_id", "missing_required_parameter");
                callId = tid.GetString();
            }
            // Phi's chat formats know a system turn; a "developer" message is OpenAI's newer name for it.
            messages.Add(new ChatMessage(roleName == "developer" ? "system" : roleName, content)
            {
                ToolCalls = calls,
                ToolCallId = callId,
                Name = callId is null ? null : messages.SelectMany(p => p.ToolCalls ?? []).LastOrDefault(t => t.Id == callId)?.Name,
            });
        }
        return messages;
    }

    /// <summary>The message's text; its images, as PhiChatClient places them, become <c>&lt;|image_n|&gt;</c> lines before it.</summary>
    static string Content(JsonElement c, string param, string role, ServedModel served, List<RgbImage> images)
    {
        switch (c.ValueKind)
        {
            case JsonValueKind.String: return c.GetString()!;
            case JsonValueKind.Array:
                var text = new StringBuilder();
                var tags = new StringBuilder();
                int index = 0;
                foreach (var part in c.EnumerateArray())
                {
                    string at = $"{param}[{index++}]";
                    string? type = part.ValueKind == JsonValueKind.Object && part.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
                    if (type == "image_url" && role == "user")
                    {
                        if (served.Vision is null)
                            throw ApiException.BadRequest($"The model '{served.Id}' takes no images (Phi-3-vision and Phi-3.5-vision do); send text only.",
                                at, "images_not_supported");
                        images.Add(ImageParts.Read(part, at, served.Options, images.Count + 1));
                        tags.Append($"<|image_{images.Count}|>\n");
                        continue;
                    }
                    if (type != "text" || !part.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                        throw ApiException.BadRequest($"'{param}' parts must be {{\"type\": \"text\", \"text\": string}}" +
                            (role == "user" ? " or image_url parts" : "") + "; other part types are not supported.", param, "invalid_value");
                    text.Append(partText.GetString());
                }
                return tags.Append(text).ToString();
            case JsonValueKind.Null or JsonValueKind.Undefined when role == "assistant": return "";
            case JsonValueKind.Null or JsonValueKind.Undefined:
                throw ApiException.BadRequest($"'{param}' is required.", param, "missing_required_parameter");
            default: throw RequestReader.WrongType(param, "a string or an array of text parts");
        }
    }
}
