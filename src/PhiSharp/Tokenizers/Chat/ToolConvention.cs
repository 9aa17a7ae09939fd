namespace PhiSharp.Tokenizers;

/// <summary>
/// How a chat template takes tools, tool calls and tool results, judged from what it reads (docs/TOOLS.md).
/// </summary>
public enum ToolConvention
{
    /// <summary>The template reads <c>tools</c> and each message's <c>tool_calls</c> (transformers' convention,
    /// e.g. llama.cpp's Phi-4-mini template): they are passed as they are.</summary>
    Native,

    /// <summary>The template reads a system message's <c>tools</c> string and renders only <c>content</c>
    /// (Phi-4-mini, Phi-4-mini-reasoning): tools become that string, calls and results become content.</summary>
    SystemTools,

    /// <summary>The template knows nothing of tools (Phi-3, Phi-3.5, Phi-4): the system turn describes them, calls and
    /// results are JSON in the content of assistant and user turns (llama.cpp's "generic" format).</summary>
    Generic,
}
