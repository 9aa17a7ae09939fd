namespace PhiSharp.Server.Tests;

/// <summary>One default server (two slots) shared by the tests of a class, so each test does not reload the model.</summary>
public sealed class SharedServer : IAsyncLifetime
{
    public TestServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await TestServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
