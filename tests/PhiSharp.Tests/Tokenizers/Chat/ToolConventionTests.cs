using PhiSharp.Tests.Tokenizers.Templates;
using PhiSharp.Tokenizers;

namespace PhiSharp.Tests.Tokenizers.Chat;

/// <summary>
/// Tools, tool calls and tool results reach every template: as they are where it renders them, in Phi-4-mini's own
/// forms where it reads tools from the system turn, and as JSON turns (llama.cpp's generic form) elsewhere.
/// </summary>
public class ToolConventionTests
{
    static ChatTemplate Published(string name)
    {
        var t = ChatTemplateFixtures.Template(name);
        return ChatTemplate.FromModel(t.GetProperty("template").GetString(), name, t.GetProperty("bos_token").GetString(), t.GetProperty("eos_token").GetString());
    }

    static string Expected(string template, string conversation) =>
        ChatTemplateFixtures.Renders.Single(r => r.GetProperty("template").GetString() == template && r.GetProperty("conversation").GetString() == conversation
            && r.GetProperty("add_generation_prompt").GetBoolean()).GetProperty("expected").GetString()!;

    static readonly ChatTool Weather = new("get_weather", "Current weather for a city",
        System.Text.Json.JsonDocument.Parse("""{"type": "object", "properties": {"city": {"type": "string"}}}""").RootElement);

    static readonly ChatMessage[] CallAndResult =
    [
        new("user", "Weather in Paris?"),
        new("assistant", "") { ToolCalls = [new ChatToolCall("call_1", "get_weather", """{"city":"Paris"}""")] },
        new("tool", """{"temp_c": 18}""") { ToolCallId = "call_1", Name = "get_weather" },
    ];

    [Theory]
    [InlineData("phi-3-mini-4k-instruct", ToolConvention.Generic)]
    [InlineData("phi-3.5-mini-instruct", ToolConvention.Generic)]
    [InlineData("phi-4", ToolConvention.Generic)]
    [InlineData("phi-4-mini-instruct", ToolConvention.SystemTools)]
    [InlineData("phi-4-mini-reasoning", ToolConvention.SystemTools)]
    [InlineData("llama.cpp-phi-4-mini-tools", ToolConvention.Native)]
    public void The_convention_follows_what_the_template_reads(string template, ToolConvention convention) =>
        Assert.Equal(convention, Published(template).Tools);

    [Theory]
    [InlineData("openai-tools")]
    [InlineData("openai-tools-no-system")]
    public void A_template_that_renders_tools_gets_them_as_openai_sends_them(string conversation)
    {
        var (messages, tools) = ChatTemplateTests.Conversation(conversation);
        Assert.Equal(Expected("llama.cpp-phi-4-mini-tools", conversation), Published("llama.cpp-phi-4-mini-tools").Format(messages, true, tools));
    }

    [Fact]
    public void Phi_4_mini_gets_its_tools_as_the_system_turns_tools_string()
    {
        // The reference conversation carries the tools as Phi-4-mini's model card writes them: json.dumps of the functions.
        var (messages, _) = ChatTemplateTests.Conversation("phi-4-mini-native-tools");
        var (_, tools) = ChatTemplateTests.Conversation("openai-tools");
        messages = [messages[0] with { }, messages[1]];
        Assert.Equal(Expected("phi-4-mini-instruct", "phi-4-mini-native-tools"), Published("phi-4-mini-instruct").Format(messages, true, tools));
    }

    [Fact]
    public void Phi_4_mini_writes_calls_in_its_own_output_form_and_results_as_tool_response_turns()
    {
        string prompt = Published("phi-4-mini-instruct").Format(CallAndResult, true, [Weather]);
        Assert.Equal(
            "<|system|><|tool|>[{\"name\": \"get_weather\", \"description\": \"Current weather for a city\", \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}]<|/tool|><|end|>"
            + "<|user|>Weather in Paris?<|end|>"
            + "<|assistant|><|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]<|/tool_call|><|end|>"
            + "<|tool_response|>{\"temp_c\": 18}<|end|><|assistant|>", prompt);
    }

    [Fact]
    public void A_template_without_tools_gets_them_described_in_the_system_turn_and_calls_as_json()
    {
        string prompt = Published("phi-3-mini-4k-instruct").Format(CallAndResult, true, [Weather]);
        Assert.StartsWith("<|system|>\nYou can call these tools:\n[\n  {\n    \"name\": \"get_weather\",", prompt);
        Assert.Contains("{\"tool_calls\": [{\"name\": \"<tool name>\", \"arguments\": {<arguments>}}]}", prompt);
        Assert.Contains("<|assistant|>\n{\"tool_calls\": [{\"id\": \"call_1\", \"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]}<|end|>\n", prompt);
        Assert.EndsWith("<|user|>\n{\"tool_response\": {\"tool_call_id\": \"call_1\", \"name\": \"get_weather\", \"content\": \"{\\\"temp_c\\\": 18}\"}}<|end|>\n<|assistant|>\n", prompt);
    }

    [Fact]
    public void A_template_that_drops_the_system_turn_gets_the_tools_in_the_first_user_turn()
    {
        string prompt = Published("phi-3-medium-4k-instruct").Format([new("system", "Be brief."), .. CallAndResult], true, [Weather]);
        Assert.StartsWith("<|user|>\nYou can call these tools:\n", prompt);
        Assert.Contains("\n\nWeather in Paris?<|end|>", prompt);
    }

    [Fact]
    public void Without_tools_a_conversation_renders_exactly_as_the_template_writes_it()
    {
        var (messages, _) = ChatTemplateTests.Conversation("multi-turn");
        Assert.Equal(Expected("phi-3-medium-4k-instruct", "multi-turn"), Published("phi-3-medium-4k-instruct").Format(messages, true, []));
    }

    [Fact]
    public void A_developer_turn_is_a_system_turn()
    {
        Assert.Equal(ChatTemplate.Phi3.Format([new("system", "Rules."), new("user", "Hi")], true),
            ChatTemplate.Phi3.Format([new("developer", "Rules."), new("user", "Hi")], true));
    }
}
