using PhiSharp.Tokenizers.Templates;

namespace PhiSharp.Tokenizers;

/// <summary>
/// Turns a conversation into the prompt text a model was trained on, by rendering the chat template the model ships
/// (tokenizer_config.json's <c>chat_template</c>, GGUF's <c>tokenizer.chat_template</c>) as written, with the Jinja
/// interpreter — or one of the built-in <see cref="ChatFormat"/>s when one is chosen. A model without a template, or
/// with one that does not parse, can still complete text; asking it to format a chat is then an error that names the
/// model and the fault, never a silent fall-back to another format.
/// </summary>
public sealed class ChatTemplate
{
    static readonly string[] EndOfTurnMarkers = ["<|end|>", "<|im_end|>"];

    readonly JinjaTemplate? _template;
    readonly TemplateException? _problem;
    readonly string _bosToken, _eosToken;
    readonly Lazy<bool> _showsSystemTurn;

    ChatTemplate(string name, string? source, JinjaTemplate? template, TemplateException? problem, string? bosToken, string? eosToken)
    {
        Name = name;
        _template = template;
        _problem = problem;
        _bosToken = bosToken ?? "<s>";
        _eosToken = eosToken ?? "<|endoftext|>";
        Tools = source is null ? ToolConvention.Generic : ChatTemplateInput.ConventionOf(source);
        var markers = EndOfTurnMarkers.Where(m => source?.Contains(m, StringComparison.Ordinal) == true).ToArray();
        StopTokens = markers.Length > 0 ? markers : ["<|end|>"];
        _showsSystemTurn = new(() => ShowsSystemTurn());
    }

    /// <summary>The Phi-3-mini format (<see cref="ChatFormat.Phi3"/>) with Phi-3's BOS and EOS texts.</summary>
    public static ChatTemplate Phi3 { get; } = FromFormat(ChatFormat.Phi3);

    /// <summary>Where the template comes from, as errors name it.</summary>
    public string Name { get; }

    /// <summary>Why this template cannot format a chat (none shipped, or it does not parse); null when it can.</summary>
    public string? Problem => _problem?.Message;

    /// <summary>How tools, tool calls and tool results reach this template (docs/TOOLS.md).</summary>
    public ToolConvention Tools { get; }

    /// <summary>The texts that end an assistant turn in this format; generation stops on them.</summary>
    public IReadOnlyList<string> StopTokens { get; }

    /// <summary>A built-in format; <paramref name="bosToken"/> / <paramref name="eosToken"/> are the vocabulary's texts.</summary>
    public static ChatTemplate FromFormat(ChatFormat format, string? bosToken = null, string? eosToken = null)
    {
        string source = ChatFormats.Template(format);
        string name = $"'{ChatFormats.Name(format)}' (built-in)";
        return new ChatTemplate(name, source, JinjaTemplate.Parse(source, name), null, bosToken, eosToken);
    }

    /// <summary>
    /// The template a model ships (null when it ships none), named by <paramref name="name"/> in errors, e.g.
    /// "tokenizer.chat_template of model.gguf". It is parsed now; a fault shows in <see cref="Problem"/> and is thrown by
    /// <see cref="Format"/>.
    /// </summary>
    public static ChatTemplate FromModel(string? jinja, string name, string? bosToken = null, string? eosToken = null)
    {
        if (jinja is null)
            return new ChatTemplate(name, null, null, new TemplateException(name,
                $"the model ships no chat template; choose a format with --chat-format ({string.Join(", ", ChatFormats.Names)}) or LoadOptions.ChatFormat"),
                bosToken, eosToken);
        try
        {
            return new ChatTemplate(name, jinja, JinjaTemplate.Parse(jinja, name), null, bosToken, eosToken);
        }
        catch (TemplateException e)
        {
            return new ChatTemplate(name, jinja, null, new TemplateException(name,
                $"{e.Reason}; choose a format with --chat-format ({string.Join(", ", ChatFormats.Names)}) or LoadOptions.ChatFormat", e.Line, e.Column),
                bosToken, eosToken);
        }
    }

    /// <summary>Throws <see cref="Problem"/> now, for a caller that would otherwise learn of it at the first chat turn.</summary>
    /// <exception cref="TemplateException">The model has no usable template.</exception>
    public void ThrowIfUnusable()
    {
        if (_problem is not null) throw _problem;
    }

    /// <summary>
    /// Renders <paramref name="messages"/> (and <paramref name="tools"/> the model may call); with
    /// <paramref name="addGenerationPrompt"/> it ends by opening the assistant's turn.
    /// </summary>
    /// <exception cref="TemplateException">The model has no usable template (<see cref="Problem"/>), or rendering
    /// failed (the template refused the conversation, e.g. roles that do not alternate).</exception>
    public string Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, IReadOnlyList<ChatTool>? tools = null) =>
        _problem is not null ? throw _problem : Render(messages, tools, addGenerationPrompt);

    /// <summary>Whether a system turn's text reaches the prompt; a template that refuses the probe is taken to show it.</summary>
    bool ShowsSystemTurn()
    {
        try
        {
            return Render([new ChatMessage("system", "\u0001"), new ChatMessage("user", "")], null, false).Contains('\u0001');
        }
        catch (TemplateException)
        {
            return true;
        }
    }

    string Render(IReadOnlyList<ChatMessage> messages, IReadOnlyList<ChatTool>? tools, bool addGenerationPrompt)
    {
        bool showsSystem = tools is { Count: > 0 } && Tools == ToolConvention.Generic ? _showsSystemTurn.Value : true;
        return _template!.Render(ChatTemplateInput.Variables(messages, tools, Tools, showsSystem, addGenerationPrompt, _bosToken, _eosToken));
    }
}
