print("jobs: under construction")
