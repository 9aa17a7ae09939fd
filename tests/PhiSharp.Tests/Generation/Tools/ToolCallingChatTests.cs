using System.ComponentModel;
using System.Text.Json;
using Json.Schema;
using Microsoft.Extensions.AI;
using PhiSharp.Generation;
using PhiSharp.Generation.Tools;
using PhiSharp.Tokenizers;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace PhiSharp.Tests.Generation.Tools;

/// <summary>
/// Tools through PhiChatClient on the tiny random models: the Phi-3 one (generic JSON replies) and the Phi-4-mini-like
/// one (<c>&lt;|tool_call|&gt;</c> tokens). Random weights write well-formed calls only because of the constraint, so
/// every call naming a declared tool with arguments that validate (JsonSchema.Net) is the constraint's doing.
/// </summary>
public sealed class ToolCallingChatTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly Dictionary<bool, (LanguageModel Model, PhiChatClient Client)> _models = [];

    (LanguageModel Model, PhiChatClient Client) Tiny(bool phi4MiniLike)
    {
        if (_models.TryGetValue(phi4MiniLike, out var loaded)) return loaded;
        string path = _dir.File(phi4MiniLike ? "phi4mini.gguf" : "phi3.gguf");
        if (phi4MiniLike) TinyPhi3Gguf.WritePhi4MiniLike(path, contextLength: 4096);
        else TinyPhi3Gguf.Write(path, o => o.ContextLength = 4096);
        var model = LanguageModel.Load(path, new LoadOptions { Threads = 1 });
        return _models[phi4MiniLike] = (model, new PhiChatClient(model));
    }

    public void Dispose()
    {
        foreach (var (model, client) in _models.Values)
        {
            client.Dispose();
            model.Dispose();
        }
        _dir.Dispose();
    }

    [Description("Current temperature in a city, in degrees Celsius")]
    static double GetTemperature([Description("The city")] string city) => city.Length;

    [Description("Converts degrees Celsius to Fahrenheit")]
    static double ToFahrenheit(double celsius) => celsius * 9 / 5 + 32;

    static readonly AIFunction Temperature = AIFunctionFactory.Create(GetTemperature, "get_temperature");
    static readonly AIFunction Fahrenheit = AIFunctionFactory.Create(ToFahrenheit, "to_fahrenheit");

    static void AssertValid(AIFunction function, FunctionCallContent call)
    {
        Assert.Equal(function.Name, call.Name);
        var arguments = JsonSerializer.SerializeToElement(call.Arguments);
        var result = JsonSchema.FromText(function.JsonSchema.GetRawText()).Evaluate(arguments);
        Assert.True(result.IsValid, arguments.GetRawText());
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public async Task A_required_call_names_a_declared_tool_with_arguments_valid_for_its_schema(bool phi4MiniLike, long seed)
    {
        var response = await Tiny(phi4MiniLike).Client.GetResponseAsync("What is the weather?", new ChatOptions
        {
            Tools = [Temperature, Fahrenheit],
            ToolMode = ChatToolMode.RequireAny,
            MaxOutputTokens = 160,
            Temperature = 1.5f,
            Seed = seed,
        });
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        Assert.NotEmpty(calls);
        foreach (var call in calls) AssertValid(call.Name == Temperature.Name ? Temperature : Fahrenheit, call);
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_named_function_without_parallel_calls_is_called_once(bool phi4MiniLike)
    {
        var response = await Tiny(phi4MiniLike).Client.GetResponseAsync("Convert 20 C", new ChatOptions
        {
            Tools = [Temperature, Fahrenheit],
            ToolMode = ChatToolMode.RequireSpecific("to_fahrenheit"),
            AllowMultipleToolCalls = false,
            MaxOutputTokens = 120,
            Temperature = 1.5f,
            Seed = 3,
        });
        var call = Assert.Single(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        AssertValid(Fahrenheit, call);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_tool_mode_none_the_reply_is_text(bool phi4MiniLike)
    {
        var response = await Tiny(phi4MiniLike).Client.GetResponseAsync("hello", new ChatOptions
        {
            Tools = [Temperature],
            ToolMode = ChatToolMode.None,
            MaxOutputTokens = 24,
            Temperature = 1.5f,
            Seed = 5,
        });
        Assert.Empty(response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>());
        Assert.NotEqual(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Fact]
    public async Task A_historys_calls_and_results_are_rendered_as_the_templates_tool_calls_and_tool_turns()
    {
        var (model, client) = Tiny(phi4MiniLike: true);
        var arguments = new Dictionary<string, object?> { ["city"] = "Oslo" };
        List<AiChatMessage> history =
        [
            new(ChatRole.User, "How warm is Oslo?"),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "get_temperature", arguments)]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", 4.5)]),
        ];
        var options = new ChatOptions { Tools = [Temperature], ToolMode = ChatToolMode.None, MaxOutputTokens = 12 };
        var response = await client.GetResponseAsync(history, options);

        // The same conversation in the engine's own shapes, rendered by the template and generated greedily.
        var tools = new[] { new ChatTool("get_temperature", Temperature.Description, Temperature.JsonSchema) };
        PhiSharp.Tokenizers.ChatMessage[] turns =
        [
            new("user", "How warm is Oslo?"),
            new("assistant", "") { ToolCalls = [new ChatToolCall("call_1", "get_temperature", """{"city":"Oslo"}""")] },
            new("tool", "4.5") { ToolCallId = "call_1", Name = "get_temperature" },
        ];
        string prompt = model.ChatTemplate.Format(turns, addGenerationPrompt: true, tools);
        Assert.Contains("<|tool_call|>[{\"name\": \"get_temperature\", \"arguments\": {\"city\": \"Oslo\"}}]<|/tool_call|>", prompt);
        Assert.Contains("<|tool_response|>4.5<|end|>", prompt);
        var format = ToolCallFormat.For(model.ChatTemplate, model.Tokenizer, tools, ToolChoice.None);
        var expected = model.Generator.Generate(model.Tokenizer.Encode(prompt, parseSpecial: true), new GenerationOptions
        {
            MaxTokens = 12,
            Grammar = format.Grammar,
            GrammarTrigger = format.Trigger,
        });
        Assert.Equal(string.Concat(expected.Select(t => t.Text)), response.Text);
        Assert.Equal(response.Usage!.InputTokenCount, model.Tokenizer.Encode(prompt, parseSpecial: true).Length);
    }

    /// <summary>Sets the tool mode of each round of FunctionInvokingChatClient's loop: the temperature, then the
    /// conversion, then a text answer. A random model would otherwise choose at random.</summary>
    sealed class Rounds(IChatClient inner, params ChatToolMode[] modes) : DelegatingChatClient(inner)
    {
        public int Round { get; private set; }

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            base.GetResponseAsync(messages, Next(options), cancellationToken);

        public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            base.GetStreamingResponseAsync(messages, Next(options), cancellationToken);

        ChatOptions Next(ChatOptions? options)
        {
            var next = options?.Clone() ?? new ChatOptions();
            next.ToolMode = modes[Math.Min(Round++, modes.Length - 1)];
            return next;
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public async Task FunctionInvokingChatClient_runs_a_two_tool_loop_to_a_final_answer(bool phi4MiniLike, bool streaming)
    {
        var rounds = new Rounds(Tiny(phi4MiniLike).Client,
            ChatToolMode.RequireSpecific("get_temperature"), ChatToolMode.RequireSpecific("to_fahrenheit"), ChatToolMode.None);
        using var client = new ChatClientBuilder(rounds).UseFunctionInvocation().Build();
        var options = new ChatOptions { Tools = [Temperature, Fahrenheit], AllowMultipleToolCalls = false, MaxOutputTokens = 120, Temperature = 1.5f, Seed = 7 };
        List<AiChatMessage> conversation = [new(ChatRole.User, "How warm is Oslo in Fahrenheit?")];

        var response = streaming
            ? await client.GetStreamingResponseAsync(conversation, options).ToChatResponseAsync()
            : await client.GetResponseAsync(conversation, options);

        Assert.Equal(3, rounds.Round);
        var contents = response.Messages.SelectMany(m => m.Contents).ToList();
        var calls = contents.OfType<FunctionCallContent>().ToList();
        Assert.Equal(["get_temperature", "to_fahrenheit"], calls.Select(c => c.Name));
        AssertValid(Temperature, calls[0]);
        AssertValid(Fahrenheit, calls[1]);
        var results = contents.OfType<FunctionResultContent>().ToList();
        Assert.Equal(calls.Select(c => c.CallId), results.Select(r => r.CallId));
        Assert.All(results, r => Assert.Null(r.Exception));
        Assert.Equal(ChatRole.Assistant, response.Messages[^1].Role);
        Assert.Empty(response.Messages[^1].Contents.OfType<FunctionCallContent>());
    }
}
