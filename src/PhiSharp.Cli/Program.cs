Console.WriteLine("phi");
