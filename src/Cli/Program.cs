Console.WriteLine("interp: under construction");
