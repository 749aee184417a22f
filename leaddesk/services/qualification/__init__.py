"""Qualification: lifecycle stage definitions, BANT, lead scoring (fit and interest), buyer personas, high-probability indicators."""
