// The shared tests are written for xunit 2, whose ITestOutputHelper lives in Xunit.Abstractions; xunit.v3 moved it to
// Xunit (imported globally here). Declaring the old namespace lets their `using Xunit.Abstractions;` compile unchanged.
namespace Xunit.Abstractions;
