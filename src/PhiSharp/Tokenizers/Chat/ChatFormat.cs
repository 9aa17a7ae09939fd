namespace PhiSharp.Tokenizers;

/// <summary>
/// The chat formats PhiSharp carries, each the template a Phi model ships (copied from its tokenizer_config.json), for
/// a model that ships none or whose template is to be replaced: <c>--chat-format</c>, <c>LoadOptions.ChatFormat</c>.
/// </summary>
public enum ChatFormat
{
    /// <summary>Phi-3-mini's: <c>&lt;|user|&gt;\n…&lt;|end|&gt;\n&lt;|assistant|&gt;\n</c>.</summary>
    Phi3,
    /// <summary>Phi-3.5-mini's: Phi-3's, with an empty system turn left out.</summary>
    Phi35,
    /// <summary>Phi-4's: <c>&lt;|im_start|&gt;user&lt;|im_sep|&gt;…&lt;|im_end|&gt;</c>.</summary>
    Phi4,
    /// <summary>Phi-4-mini's: <c>&lt;|user|&gt;…&lt;|end|&gt;</c>, tools in the system turn.</summary>
    Phi4Mini,
}

/// <summary>The built-in formats' names on the command line and their templates.</summary>
public static class ChatFormats
{
    /// <summary>The names <c>--chat-format</c> takes.</summary>
    public static IReadOnlyList<string> Names { get; } = ["phi3", "phi3.5", "phi4", "phi4-mini"];

    public static string Name(ChatFormat format) => Names[(int)format];

    /// <summary>The format called <paramref name="name"/> (case-insensitive).</summary>
    /// <exception cref="ArgumentException">No built-in format has that name.</exception>
    public static ChatFormat Parse(string name)
    {
        int index = Names.ToList().FindIndex(n => n.Equals(name, StringComparison.OrdinalIgnoreCase));
        return index >= 0 ? (ChatFormat)index
            : throw new ArgumentException($"--chat-format takes {string.Join(", ", Names)}, not '{name}'");
    }

    /// <summary>The template of <paramref name="format"/>, as the model it comes from ships it.</summary>
    public static string Template(ChatFormat format) => format switch
    {
        // microsoft/Phi-3-mini-4k-instruct
        ChatFormat.Phi3 => "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
        // microsoft/Phi-3.5-mini-instruct
        ChatFormat.Phi35 => "{% for message in messages %}{% if message['role'] == 'system' and message['content'] %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}",
        // microsoft/phi-4
        ChatFormat.Phi4 => "{% for message in messages %}{% if (message['role'] == 'system') %}{{'<|im_start|>system<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'user') %}{{'<|im_start|>user<|im_sep|>' + message['content'] + '<|im_end|>'}}{% elif (message['role'] == 'assistant') %}{{'<|im_start|>assistant<|im_sep|>' + message['content'] + '<|im_end|>'}}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant<|im_sep|>' }}{% endif %}",
        // microsoft/Phi-4-mini-instruct
        ChatFormat.Phi4Mini => "{% for message in messages %}{% if message['role'] == 'system' and 'tools' in message and message['tools'] is not none %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|tool|>' + message['tools'] + '<|/tool|>' + '<|end|>' }}{% else %}{{ '<|' + message['role'] + '|>' + message['content'] + '<|end|>' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>' }}{% else %}{{ eos_token }}{% endif %}",
        _ => throw new ArgumentOutOfRangeException(nameof(format)),
    };
}
