using System.Text;

namespace PhiSharp.Tokenizers;

/// <summary>One turn of a conversation: a role (system, user, assistant, ...) and its text.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>
/// The Phi chat formats (<c>&lt;|system|&gt;</c>, <c>&lt;|user|&gt;</c>, <c>&lt;|assistant|&gt;</c>, <c>&lt;|end|&gt;</c>).
/// A model's own Jinja template is honoured when it is one of the known Phi templates — Phi-3-mini, Phi-3-medium,
/// Phi-3.5-mini, Phi-4-mini and their older revisions — recognised by the features that distinguish them
/// (newline after the role tag, BOS in front, system turn dropped when empty or always, the assistant tag
/// written after every user turn, EOS at the end). Any other template falls back to the Phi-3 format
/// (<see cref="IsFallback"/>), since PhiSharp runs no general Jinja.
/// </summary>
public sealed class ChatTemplate
{
    enum SystemTurn { Written, SkippedWhenEmpty, Dropped }

    bool _bosFirst;
    bool _newlineAfterTag = true;
    bool _anyRole;                 // '<|' + message['role'] + '|>' rather than a branch per role
    bool _assistantAfterUser;      // old Phi-3 form: the user turn opens the assistant turn itself
    bool _eosWhenNoPrompt = true;
    SystemTurn _system = SystemTurn.Written;
    string _bosToken = "<s>", _eosToken = "<|endoftext|>";

    /// <summary>The Phi-3-mini format, used when a model brings no template or an unknown one.</summary>
    public static ChatTemplate Phi3 { get; } = new();

    /// <summary>True when the model's template was not a recognised Phi template and the Phi-3 format is used instead.</summary>
    public bool IsFallback { get; private init; }

    /// <summary>The text that ends an assistant turn; generation stops on it.</summary>
    public IReadOnlyList<string> StopTokens { get; } = ["<|end|>"];

    /// <summary>Recognises <paramref name="jinja"/> (tokenizer_config.json's or GGUF's chat_template).</summary>
    public static ChatTemplate FromModelTemplate(string? jinja, string? bosToken = null, string? eosToken = null)
    {
        var template = Recognise(jinja) ?? new ChatTemplate { IsFallback = jinja is not null };
        template._bosToken = bosToken ?? template._bosToken;
        template._eosToken = eosToken ?? template._eosToken;
        return template;
    }

    static ChatTemplate? Recognise(string? jinja)
    {
        if (jinja is null) return null;
        string t = Canonical(jinja);
        bool anyRole = t.Contains("'<|'+message['role']+'|>", StringComparison.Ordinal);
        if (!t.Contains("<|end|>", StringComparison.Ordinal) || !(anyRole || t.Contains("<|user|>", StringComparison.Ordinal))) return null;
        return new ChatTemplate
        {
            _bosFirst = t.StartsWith("{{bos_token}}", StringComparison.Ordinal),
            _anyRole = anyRole,
            _newlineAfterTag = anyRole ? t.Contains("'|>\\n'", StringComparison.Ordinal) : t.Contains("<|user|>\\n", StringComparison.Ordinal),
            _assistantAfterUser = t.Contains("<|end|>\\n<|assistant|>\\n'", StringComparison.Ordinal),
            _eosWhenNoPrompt = t.Contains("{%else%}{{eos_token}}", StringComparison.Ordinal),
            _system = t.Contains("message['role']=='system'andmessage['content']", StringComparison.Ordinal) ? SystemTurn.SkippedWhenEmpty
                : anyRole || t.Contains("<|system|>", StringComparison.Ordinal) ? SystemTurn.Written
                : SystemTurn.Dropped,
        };
    }

    /// <summary>
    /// A form that is easy to compare: no whitespace outside string literals, a newline inside one written as the
    /// escape \n (templates come both ways), double quotes as single, and adjacent literals joined ('a' + 'b' → 'ab').
    /// </summary>
    static string Canonical(string jinja)
    {
        var text = new StringBuilder(jinja.Length);
        char quote = '\0';
        foreach (char c in jinja)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                text.Append(c == '\n' ? "\\n" : c == '"' ? "'" : c.ToString());
            }
            else if (c is '\'' or '"')
            {
                quote = c;
                text.Append('\'');
            }
            else if (!char.IsWhiteSpace(c))
            {
                text.Append(c);
            }
        }
        return text.ToString().Replace("'+'", "", StringComparison.Ordinal);
    }

    /// <summary>Renders <paramref name="messages"/>; with <paramref name="addGenerationPrompt"/> it ends by opening the assistant's turn.</summary>
    public string Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        string nl = _newlineAfterTag ? "\n" : "";
        var text = new StringBuilder();
        if (_bosFirst) text.Append(_bosToken);
        foreach (var m in messages)
        {
            if (m.Role == "system" && (_system == SystemTurn.Dropped || (_system == SystemTurn.SkippedWhenEmpty && m.Content.Length == 0))) continue;
            if (_assistantAfterUser && m.Role == "user")
                text.Append("<|user|>").Append(nl).Append(m.Content).Append("<|end|>").Append(nl).Append("<|assistant|>").Append(nl);
            else if (_assistantAfterUser && m.Role == "assistant")
                text.Append(m.Content).Append("<|end|>").Append(nl);
            else if (_anyRole || m.Role is "system" or "user" or "assistant")
                text.Append("<|").Append(m.Role).Append("|>").Append(nl).Append(m.Content).Append("<|end|>").Append(nl);
        }
        if (!_assistantAfterUser)
        {
            if (addGenerationPrompt) text.Append("<|assistant|>").Append(nl);
            else if (_eosWhenNoPrompt) text.Append(_eosToken);
        }
        return text.ToString();
    }
}
