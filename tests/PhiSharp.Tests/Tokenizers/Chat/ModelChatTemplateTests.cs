using PhiSharp.Tests.Cli;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using PhiSharp.Tokenizers;
using PhiSharp.Tokenizers.Templates;

namespace PhiSharp.Tests.Tokenizers.Chat;

/// <summary>The loader takes the GGUF's template; a model without one chats only with a chosen format.</summary>
public sealed class ModelChatTemplateTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    string Model(string name, string? template)
    {
        string path = _dir.File(name);
        TinyPhi3Gguf.Write(path, o => o.ChatTemplate = template);
        return path;
    }

    [Fact]
    public void The_template_in_the_gguf_is_the_one_rendered()
    {
        using var model = LanguageModel.Load(Model("phi4.gguf", ChatFormats.Template(ChatFormat.Phi4)), new LoadOptions { Threads = 1 });
        Assert.Equal("<|im_start|>user<|im_sep|>Hi<|im_end|><|im_start|>assistant<|im_sep|>", model.ChatTemplate.Format([new("user", "Hi")], true));
    }

    [Fact]
    public void A_model_without_a_template_loads_but_chats_only_with_a_chosen_format()
    {
        string path = Model("plain.gguf", null);
        using (var plain = LanguageModel.Load(path, new LoadOptions { Threads = 1 }))
        {
            var e = Assert.Throws<TemplateException>(() => plain.ChatTemplate.Format([new("user", "Hi")], true));
            Assert.Contains("tokenizer.chat_template of plain.gguf", e.Message);
        }
        using var chosen = LanguageModel.Load(path, new LoadOptions { Threads = 1, ChatFormat = ChatFormat.Phi4Mini });
        Assert.Equal("<|user|>Hi<|end|><|assistant|>", chosen.ChatTemplate.Format([new("user", "Hi")], true));
    }

    [Fact]
    public void Phi_run_chat_says_to_choose_a_format_and_runs_with_one()
    {
        string path = Model("plain.gguf", null);
        var (exit, _, error) = PhiCommandTests.Phi("run", "--model", path, "--prompt", "hello", "--chat", "--max-tokens", "2");
        Assert.Equal(1, exit);
        Assert.StartsWith("error: chat template tokenizer.chat_template of plain.gguf: the model ships no chat template; choose a format with --chat-format", error);
        Assert.Single(error.Trim().Split('\n'));

        (exit, _, error) = PhiCommandTests.Phi("run", "--model", path, "--prompt", "hello", "--chat", "--chat-format", "phi3", "--max-tokens", "2");
        Assert.Equal(0, exit);

        (exit, _, error) = PhiCommandTests.Phi("run", "--model", path, "--prompt", "hello", "--chat", "--chat-format", "llama3", "--max-tokens", "2");
        Assert.Equal(1, exit);
        Assert.Contains("--chat-format takes phi3, phi3.5, phi4, phi4-mini, not 'llama3'", error);
    }
}
