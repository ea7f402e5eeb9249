print("jobsd: under construction")
