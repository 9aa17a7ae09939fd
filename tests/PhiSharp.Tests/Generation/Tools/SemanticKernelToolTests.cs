using System.ComponentModel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using PhiSharp.Generation;
using PhiSharp.Tests.Formats;
using PhiSharp.Tests.Models;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace PhiSharp.Tests.Generation.Tools;

/// <summary>Semantic Kernel with PhiChatClient as its IChatClient, on the tiny Phi-4-mini-like model: a prompt with a
/// required function choice invokes a plugin's kernel function with arguments SK can bind, then answers.</summary>
public sealed class SemanticKernelToolTests : IDisposable
{
    readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    sealed class WeatherPlugin
    {
        public List<string> Cities { get; } = [];

        [KernelFunction("get_temperature"), Description("Current temperature in a city, in degrees Celsius")]
        public double GetTemperature([Description("The city")] string city)
        {
            Cities.Add(city);
            return 21;
        }
    }

    /// <summary>Caps the reply length, and after the first round asks for text: a random model would otherwise keep
    /// calling once SK's required choice turns to auto.</summary>
    sealed class Rounds(IChatClient inner) : DelegatingChatClient(inner)
    {
        public int Round { get; private set; }

        public override Task<ChatResponse> GetResponseAsync(IEnumerable<AiChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var next = options?.Clone() ?? new ChatOptions();
            next.MaxOutputTokens = 120;
            if (Round++ > 0) next.ToolMode = ChatToolMode.None;
            return base.GetResponseAsync(messages, next, cancellationToken);
        }
    }

    [Fact]
    public async Task A_kernel_function_is_called_through_the_chat_client()
    {
        string path = _dir.File("phi4mini.gguf");
        TinyPhi3Gguf.WritePhi4MiniLike(path, contextLength: 4096);
        using var model = LanguageModel.Load(path, new LoadOptions { Threads = 1 });
        using var phi = new PhiChatClient(model);
        var rounds = new Rounds(phi);
        var plugin = new WeatherPlugin();
        var builder = Kernel.CreateBuilder();
        builder.Services.AddSingleton(new ChatClientBuilder(rounds).UseKernelFunctionInvocation().Build());
        builder.Plugins.AddFromObject(plugin, "weather");
        var kernel = builder.Build();

        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Required() };
        var result = await kernel.InvokePromptAsync("How warm is Oslo?", new KernelArguments(settings));

        Assert.Single(plugin.Cities);
        Assert.Equal(2, rounds.Round);
        Assert.NotNull(result.GetValue<string>());
    }
}
