using System.Net;

namespace PhiSharp.Server.Tests;

/// <summary>
/// The server listens exactly where it is told, never wider, or refuses with one <see cref="ListenException"/> whose
/// message `phi serve` prints as its one error line (it is an IOException, which the CLI's guard prints).
/// </summary>
public sealed class ListenTests(SharedServer shared) : IClassFixture<SharedServer>
{
    readonly LanguageModel _model = shared.Server.Model;

    [Theory]
    [InlineData("notahost")]
    [InlineData("no-such-host.invalid")]
    [InlineData("")]
    [InlineData(" ")]
    public void A_host_that_is_not_an_address_and_does_not_resolve_is_refused(string host)
    {
        var e = Assert.Throws<ListenException>(() => PhiServer.Create(_model, new ServerOptions { Host = host, Port = 0 }));
        Assert.Contains($"'{host}'", e.Message);
        Assert.IsAssignableFrom<IOException>(e);
    }

    [Fact]
    public async Task Localhost_is_served_on_loopback_only()
    {
        await using var server = PhiServer.Create(_model, new ServerOptions { Host = "localhost", Port = 0 });
        await server.StartAsync();
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(server.Address.Host)), $"listening at {server.Address}");
    }

    [Fact]
    public async Task A_port_in_use_is_one_clear_error()
    {
        int port = shared.Server.Address.Port;
        await using var second = PhiServer.Create(_model, new ServerOptions { Host = "127.0.0.1", Port = port });
        var e = await Assert.ThrowsAsync<ListenException>(() => second.StartAsync());
        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Contains("in use", e.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public async Task An_address_not_on_this_machine_is_one_clear_error()
    {
        // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): documentation only, never assigned to a machine.
        await using var server = PhiServer.Create(_model, new ServerOptions { Host = "192.0.2.1", Port = 0 });
        var e = await Assert.ThrowsAsync<ListenException>(() => server.StartAsync());
        Assert.Contains("192.0.2.1", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:8080")]
    [InlineData("10.0.0.1")]
    public async Task On_loopback_a_request_addressed_to_another_name_is_refused(string host)
    {
        // DNS rebinding: a page whose own name resolves to 127.0.0.1 is same-origin to the browser, but its requests
        // still name that page's host.
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(shared.Server.Address, "/v1/models"));
        request.Headers.Host = host;
        using var response = await shared.Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("host_not_allowed", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST.")]
    [InlineData("phi.localhost")]
    [InlineData("127.0.0.1")]
    [InlineData("127.1.2.3")]
    [InlineData("[::1]")]
    public async Task On_loopback_a_request_addressed_to_a_loopback_name_is_served(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(shared.Server.Address, "/v1/models"));
        request.Headers.Host = $"{host}:{shared.Server.Address.Port}";
        using var response = await shared.Server.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
