using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers;

/// <summary>Each Phi model's published chat template renders exactly as @huggingface/jinja renders it.</summary>
public class ChatTemplateTests
{
    public static IEnumerable<object[]> Renders() =>
        TokenizerFixtures.ReadJsonLines("chat_templates.jsonl").Select((e, i) => new object[] { i, e.GetProperty("name").GetString()! });

    [Theory, MemberData(nameof(Renders))]
    public void Renders_the_models_template_like_jinja(int index, string name)
    {
        var fixture = TokenizerFixtures.ReadJsonLines("chat_templates.jsonl").ElementAt(index);
        var template = ChatTemplate.FromModelTemplate(fixture.GetProperty("template").GetString(), "<s>", "<|endoftext|>");
        var messages = fixture.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToArray();

        Assert.False(template.IsFallback, name);
        Assert.Equal(fixture.GetProperty("expected").GetString(), template.Format(messages, fixture.GetProperty("addGenerationPrompt").GetBoolean()));
    }

    [Fact]
    public void An_unknown_template_falls_back_to_the_phi3_format()
    {
        var chatMl = ChatTemplate.FromModelTemplate("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}");
        Assert.True(chatMl.IsFallback);
        Assert.Equal(ChatTemplate.Phi3.Format([new("user", "Hi")], true), chatMl.Format([new("user", "Hi")], true));
    }

    [Fact]
    public void No_template_is_the_phi3_format_without_a_warning()
    {
        Assert.False(ChatTemplate.FromModelTemplate(null).IsFallback);
        Assert.Equal(["<|end|>"], ChatTemplate.Phi3.StopTokens);
    }
}
