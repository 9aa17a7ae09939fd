using PhiSharp.Tokenizers.Templates;

namespace PhiSharp.Tests.Tokenizers.Templates;

/// <summary>
/// Every Phi chat template, over conversations with and without a system turn, multi-turn, tools, tool calls and tool
/// results, renders byte for byte as @huggingface/jinja renders it, and fails where it fails.
/// </summary>
public class JinjaTemplateMatchesReferenceTests
{
    public static TheoryData<string, string, bool> Renders()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var r in ChatTemplateFixtures.Renders)
            data.Add(r.GetProperty("template").GetString()!, r.GetProperty("conversation").GetString()!, r.GetProperty("add_generation_prompt").GetBoolean());
        return data;
    }

    [Theory, MemberData(nameof(Renders))]
    public void Renders_as_huggingface_jinja_does(string templateName, string conversationName, bool addGenerationPrompt)
    {
        var render = ChatTemplateFixtures.Renders.Single(r => r.GetProperty("template").GetString() == templateName
            && r.GetProperty("conversation").GetString() == conversationName && r.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt);
        var fixture = ChatTemplateFixtures.Template(templateName);
        var template = JinjaTemplate.Parse(fixture.GetProperty("template").GetString()!, templateName);
        var variables = ChatTemplateFixtures.Variables(fixture, ChatTemplateFixtures.Conversation(conversationName), addGenerationPrompt);

        if (render.TryGetProperty("error", out _))
            Assert.Throws<TemplateException>(() => template.Render(variables));
        else
            Assert.Equal(render.GetProperty("expected").GetString(), template.Render(variables));
    }

    [Fact]
    public void The_fixtures_cover_every_template_with_tools_and_without()
    {
        var rendered = ChatTemplateFixtures.Renders.Where(r => r.TryGetProperty("expected", out _)).ToList();
        foreach (string name in ChatTemplateFixtures.TemplateNames)
            Assert.Contains(rendered, r => r.GetProperty("template").GetString() == name);
        Assert.Contains(rendered, r => r.GetProperty("expected").GetString()!.Contains("<|tool|>"));
        Assert.Contains(rendered, r => r.GetProperty("expected").GetString()!.Contains("<|tool_call|>"));
        Assert.Contains(rendered, r => r.GetProperty("expected").GetString()!.Contains("<|tool_response|>"));
    }
}
