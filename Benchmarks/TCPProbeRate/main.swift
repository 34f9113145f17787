import NetProbe
print("placeholder")
